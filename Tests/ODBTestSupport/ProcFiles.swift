import Glibc

/// The whole text of a /proc file, read with read(2) to its end; nil if it cannot be opened.
/// Foundation's String(contentsOfFile:) stops after the first page of a file that reports its
/// size as 0, as /proc files do (/proc/net/tcp and /proc/self/mountinfo grow past a page).
public func readProcFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var text = [UInt8]()
    var page = [UInt8](repeating: 0, count: 1 << 16)
    while case let count = read(fd, &page, page.count), count > 0 { text += page[..<count] }
    return String(decoding: text, as: UTF8.self)
}

/// CPU time process `pid` has used (utime + stime of /proc/PID/stat), in clock ticks; 0 if unreadable.
public func cpuTicks(pid: Int32) -> Int {
    guard let stat = readProcFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
}

/// CPU time process `pid` has used, in seconds.
public func cpuSeconds(pid: Int32) -> Double {
    Double(cpuTicks(pid: pid)) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// The last value of a `net.ipv4` autotuning triple (`tcp_rmem`, `tcp_wmem`): the memory
/// autotuning grows a socket's buffer to; nil if unreadable.
public func autotuningMaximum(_ name: String) -> Int? {
    readProcFile("/proc/sys/net/ipv4/" + name)?.split(whereSeparator: \.isWhitespace).last.flatMap { Int($0) }
}
