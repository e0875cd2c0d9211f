import Foundation

/// Memory one process holds, measured on that process alone: its TCP sockets and its RSS.
/// Machine-wide figures (MemAvailable, sockstat) move with everything else on the machine,
/// the test's own sockets included, so tests bound these instead.
public enum ProcessMemory {
    /// The TCP sockets of one process, summed.
    public struct Sockets {
        /// Sockets found.
        public var count = 0
        /// Memory charged to them, as SO_MEMINFO reports it (`ss -tm` skmem): receive queue,
        /// send queue and forward allocation (r + w + f), in bytes.
        public var charged = 0
        /// Bytes they received minus bytes their peers acknowledged (TCP_INFO bytes_received and
        /// bytes_acked): what the process has taken in and not yet delivered, wherever it waits
        /// (socket queues, a psock's backlog of redirected skbs, user space). Counted over the
        /// sockets open now, so it is exact for a relay whose connections all opened for the
        /// exchanges it is moving; a reused connection also counts what earlier exchanges moved
        /// through sockets since closed.
        public var held = 0
    }

    /// The largest figures seen while sampling one process now and then.
    public struct Peaks {
        public let pid: Int32
        /// Samples taken in which the process had TCP sockets.
        public private(set) var samples = 0
        public private(set) var charged = 0
        public private(set) var held = 0
        public private(set) var resident = 0
        private var due = Date.distantPast

        public init(pid: Int32) {
            self.pid = pid
        }

        /// Samples the process if `interval` seconds have passed since the last sample.
        public mutating func sample(every interval: TimeInterval = 0.25) {
            guard Date() >= due else { return }
            due = Date().addingTimeInterval(interval)
            guard let sockets = try? ProcessMemory.sockets(pid: pid), sockets.count > 0 else { return }
            samples += 1
            charged = max(charged, sockets.charged)
            held = max(held, sockets.held)
            resident = max(resident, ProcessMemory.residentSize(pid: pid))
        }
    }

    /// Resident set size of a process, in bytes.
    public static func residentSize(pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    /// The TCP sockets `pid` has open, from `ss -tmnip`.
    public static func sockets(pid: Int32) throws -> Sockets {
        var sum = Sockets()
        for block in try socketBlocks(pid: pid) {
            sum.count += 1
            sum.charged += charged(block)
            sum.held += number(after: "bytes_received:", in: block) - number(after: "bytes_acked:", in: block)
        }
        return sum
    }

    /// The send buffer (`ss -tm` skmem's tb, the kernel's doubled SO_SNDBUF) of `pid`'s TCP
    /// socket whose peer has port `peerPort`; nil when it has none.
    public static func sendBuffer(pid: Int32, peerPort: Int) throws -> Int? {
        try socketBlocks(pid: pid, peerPort: peerPort).first.flatMap { skmem($0)["tb"] }
    }

    /// The receive buffers (skmem's rb, the kernel's doubled SO_RCVBUF) of `pid`'s TCP sockets
    /// whose peer has port `peerPort`.
    public static func receiveBuffers(pid: Int32, peerPort: Int) throws -> [Int] {
        try socketBlocks(pid: pid, peerPort: peerPort).compactMap { skmem($0)["rb"] }
    }

    private static func socketBlocks(pid: Int32, peerPort: Int) throws -> [Substring] {
        try socketBlocks(pid: pid).filter { block in
            let fields = block.prefix { $0 != "\n" }.split(separator: " ")
            return fields.count > 4 && fields[4].hasSuffix(":\(peerPort)")
        }
    }

    /// The `ss -tmnipH` blocks of `pid`'s TCP sockets.
    private static func socketBlocks(pid: Int32) throws -> [Substring] {
        let listing = try CommandRunner.run("/usr/bin/ss", ["-tmnipH"]).stdout
        return socketBlocks(listing).filter { $0.contains("pid=\(pid),") }
    }

    /// One block per socket: its first line, then its indented detail lines.
    private static func socketBlocks(_ listing: String) -> [Substring] {
        var blocks = [Substring]()
        var start = listing.startIndex
        var index = listing.startIndex
        while let newline = listing[index...].firstIndex(of: "\n") {
            let next = listing.index(after: newline)
            if next < listing.endIndex, !listing[next].isWhitespace {
                blocks.append(listing[start..<newline])
                start = next
            }
            index = next
        }
        blocks.append(listing[start...])
        return blocks
    }

    /// r + w + f of `skmem:(r…,rb…,t…,tb…,f…,w…,o…,bl…,d…)`; f is signed, printed unsigned.
    private static func charged(_ block: Substring) -> Int {
        let fields = skmem(block)
        return (fields["r"] ?? 0) + (fields["w"] ?? 0) + Int(Int32(truncatingIfNeeded: fields["f"] ?? 0))
    }

    /// The fields of a socket's `skmem:(…)`, by name.
    private static func skmem(_ block: Substring) -> [Substring: Int] {
        guard let open = block.range(of: "skmem:("), let close = block[open.upperBound...].firstIndex(of: ")") else { return [:] }
        var fields = [Substring: Int]()
        for field in block[open.upperBound..<close].split(separator: ",") {
            let name = field.prefix { $0.isLetter }
            fields[name] = Int(field.dropFirst(name.count))
        }
        return fields
    }

    private static func number(after label: String, in block: Substring) -> Int {
        guard let range = block.range(of: label) else { return 0 }
        return Int(block[range.upperBound...].prefix { $0.isNumber }) ?? 0
    }
}
