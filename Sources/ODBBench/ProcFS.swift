import Foundation
import Glibc

/// Readers for the /proc files the samplers use; each returns nil when the file is gone.
public enum ProcFS {
    /// Clock ticks per second, the unit of /proc CPU times.
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    static func read(_ path: String) -> String? {
        try? String(contentsOfFile: path, encoding: .utf8)
    }

    /// utime + stime of a process (all its threads), in seconds.
    public static func processCPUSeconds(pid: Int32) -> Double? {
        guard let fields = statFields(pid: pid), fields.count > 12,
              let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / ticksPerSecond
    }

    /// utime+stime+cutime+cstime, in seconds, of every user-space process except `excluded`:
    /// what other work on the machine used. Kernel threads are left out: they run softirq and
    /// writeback for whoever caused it, the measured topology included. A child's time joins
    /// its parent's cutime when it is reaped, so work of processes that come and go between two
    /// readings still shows in their parent's difference.
    static func otherProcessesCPUSeconds(excluding excluded: Set<Int32>) -> [Int32: Double] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) } ?? []
        var seconds = [Int32: Double]()
        for pid in pids where !excluded.contains(pid) {
            guard let fields = statFields(pid: pid), fields.count > 14, let flags = UInt(fields[6]),
                  flags & kernelThreadFlag == 0 else { continue }
            let ticks = fields[11...14].compactMap { Double($0) }.reduce(0, +)
            seconds[pid] = ticks / ticksPerSecond
        }
        return seconds
    }

    /// PF_KTHREAD in /proc/PID/stat's flags.
    private static let kernelThreadFlag: UInt = 0x0020_0000

    /// The parent pid of a process.
    static func parentPID(pid: Int32) -> Int32? {
        guard let fields = statFields(pid: pid), fields.count > 1 else { return nil }
        return Int32(fields[1])
    }

    /// Fields of /proc/PID/stat after the command name, which may itself hold spaces:
    /// index 0 is the state, 1 ppid, 6 flags, 11 utime, 12 stime, 13 cutime, 14 cstime
    /// (proc(5) numbers minus 3).
    static func statFields(pid: Int32) -> [Substring]? {
        guard let text = read("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    /// Resident set size of a process, in KiB (VmRSS).
    public static func residentKiB(pid: Int32) -> Int? {
        guard let text = read("/proc/\(pid)/status") else { return nil }
        return kibField("VmRSS:", in: text)
    }

    /// `pid` and every process descending from it (nginx's workers, for instance).
    public static func processTree(root: Int32) -> [Int32] {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) } ?? []
        var parents = [Int32: [Int32]]()
        for pid in all {
            if let parent = parentPID(pid: pid) { parents[parent, default: []].append(pid) }
        }
        var tree = [root]
        var index = 0
        while index < tree.count {
            tree += parents[tree[index]] ?? []
            index += 1
        }
        return tree
    }

    /// Time the whole machine's CPUs were not running anything (idle + iowait + steal), in
    /// seconds summed over CPUs, and how many CPUs there are.
    ///
    /// The busy columns of /proc/stat are sampled at the timer tick: a load that runs in short
    /// bursts in step with the tick (the bench's fixed rate, a request every millisecond) hid
    /// from them almost entirely (0.01 s busy over 5 s of 260 MB/s). Idle time is measured at
    /// every idle entry and exit (NO_HZ), so busy = elapsed × CPUs − idle is exact, kworkers and
    /// softirq processing included.
    public static func machineIdle() -> (seconds: Double, cpus: Int)? {
        guard let text = read("/proc/stat") else { return nil }
        let lines = text.split(separator: "\n")
        guard let line = lines.first, line.hasPrefix("cpu ") else { return nil }
        let values = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard values.count >= 8 else { return nil }
        let cpus = lines.filter { $0.hasPrefix("cpu") && !$0.hasPrefix("cpu ") }.count
        return ((values[3] + values[4] + values[7]) / ticksPerSecond, max(cpus, 1))
    }

    /// MemAvailable from /proc/meminfo, in KiB.
    public static func memAvailableKiB() -> Int? {
        read("/proc/meminfo").flatMap { kibField("MemAvailable:", in: $0) }
    }

    /// Pages of memory TCP sockets hold (`TCP: ... mem N` in /proc/net/sockstat).
    public static func tcpMemoryPages() -> Int? {
        guard let text = read("/proc/net/sockstat"),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("TCP:") }) else { return nil }
        let words = line.split(separator: " ")
        guard let index = words.firstIndex(of: "mem"), index + 1 < words.count else { return nil }
        return Int(words[index + 1])
    }

    static func kibField(_ name: String, in text: String) -> Int? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return nil }
        // Values are padded with tabs and spaces: "VmRSS:\t    1234 kB".
        return Int(line.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
    }

    /// Bytes per page, to turn sockstat's pages into bytes.
    public static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
}
