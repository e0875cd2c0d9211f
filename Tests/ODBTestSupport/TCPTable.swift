import Foundation
import Glibc

/// One IPv4 TCP socket of this network namespace as /proc/net/tcp shows it: what a test reads
/// to see whether a peer's bytes or its end have reached a socket.
public struct TCPSocketRow: CustomStringConvertible {
    /// The kernel's TCP states, numbered as in include/net/tcp_states.h.
    public enum State: Int {
        case established = 1, synSent, synReceived, finWait1, finWait2, timeWait, close, closeWait, lastAck, listen, closing
    }

    public let localPort: Int
    public let remotePort: Int
    public let state: State?
    /// Bytes received and not yet read; for a listening socket, connections waiting in accept.
    public let receiveQueue: Int
    public let inode: Int

    /// Every row of /proc/net/tcp.
    public static func all() -> [TCPSocketRow] {
        (readProcFile("/proc/net/tcp") ?? "").split(separator: "\n").dropFirst().compactMap(TCPSocketRow.init)
    }

    /// Parses `sl local rem st tx_queue:rx_queue tr:when retrnsmt uid timeout inode ...`.
    init?(_ line: Substring) {
        let fields = line.split(separator: " ")
        guard fields.count > 9,
              let local = fields[1].split(separator: ":").last.flatMap({ Int($0, radix: 16) }),
              let remote = fields[2].split(separator: ":").last.flatMap({ Int($0, radix: 16) }),
              let state = Int(fields[3], radix: 16),
              let received = fields[4].split(separator: ":").last.flatMap({ Int($0, radix: 16) }),
              let inode = Int(fields[9]) else { return nil }
        localPort = local
        remotePort = remote
        self.state = State(rawValue: state)
        receiveQueue = received
        self.inode = inode
    }

    public var description: String {
        "\(localPort)->\(remotePort) \(state.map { "\($0)" } ?? "?") rx \(receiveQueue) inode \(inode)"
    }
}

/// What each descriptor process `pid` holds open points to, from its /proc/PID/fd links
/// (`socket:[inode]`, `pipe:[inode]`, a path…).
public func descriptorTargets(pid: Int32) -> [String] {
    let directory = "/proc/\(pid)/fd"
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return names.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\($0)") }
}

/// Inodes of the sockets process `pid` holds open.
public func socketInodes(pid: Int32) -> Set<Int> {
    Set(descriptorTargets(pid: pid).compactMap { target in
        guard target.hasPrefix("socket:[") else { return nil }
        return Int(target.dropFirst("socket:[".count).dropLast())
    })
}
