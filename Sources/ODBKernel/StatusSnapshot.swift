import CLibBPF
import Foundation
import Glibc
import OdbShared

/// What the pinned maps of one pin directory say right now: the data behind `odb-redirect status`.
public struct StatusSnapshot: Encodable, Sendable, Equatable {
    public struct Program: Codable, Sendable, Equatable {
        public let name: String
        public let id: UInt32
        public let type: String
    }

    public struct Attachment: Codable, Sendable, Equatable {
        public let cgroupID: UInt64
        public let path: String
        public let attachedUnixSeconds: Double
        /// A relay that hooked its own cgroup and detaches at exit; nil for `attach`.
        public let ownerPID: UInt32?
        public let ownerAlive: Bool?
    }

    public struct TrackedSocket: Codable, Sendable, Equatable {
        public let cookie: UInt64
        public let family: String
        public let local: String
        public let remote: String
        public let ageSeconds: Double
    }

    public struct Flow: Codable, Sendable, Equatable {
        public let sourceCookie: UInt64
        public let targetCookie: UInt64
        public let source: String?
        public let target: String?
        public let bytesRedirected: UInt64
        /// Window bytes the verdict passed to user space (window end inside an skb, over budget,
        /// behind unread passed bytes).
        public let bytesPassed: UInt64
        /// Stream bytes the verdict has handled since the socket joined.
        public let streamOffset: UInt64
        /// Bytes left in the open window: 0 when none is open, nil for an endless one (a tunnel
        /// direction, or a body that ends when its source closes).
        public let windowRemaining: UInt64?
        /// The verdict's state of a socket in odb_sources; else "idle" for one out of it between
        /// bodies (a pooled upstream keeps its records until it closes; its last window is over
        /// and names no target), "closed" for records whose socket the kernel has closed without
        /// its relay deleting them (a relay that died).
        public let state: String
    }

    public struct Relay: Encodable, Sendable, Equatable {
        public let pid: UInt32
        public let alive: Bool
        /// Indexed by `RelayCounter.slot`.
        public let counters: [UInt64]

        public subscript(counter: RelayCounter) -> UInt64 {
            counters[counter.slot]
        }

        /// `pid`, `alive`, and every counter at its `RelayCounter.status` place.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: JSONKey.self)
            try container.encode(pid, forKey: JSONKey("pid"))
            try container.encode(alive, forKey: JSONKey("alive"))
            var objects = [String: [String: UInt64]]()
            for counter in RelayCounter.allCases {
                switch counter.status {
                case .field(let name):
                    try container.encode(self[counter], forKey: JSONKey(name.description))
                case .member(let key, let family):
                    var object = objects[family.statusObject.description] ?? [:]
                    if self[counter] > 0 || !family.omitsZeros { object[key.description] = self[counter] }
                    objects[family.statusObject.description] = object
                }
            }
            for (name, object) in objects {
                try container.encode(object, forKey: JSONKey(name))
            }
        }
    }

    /// A key named at run time, from a counter list.
    struct JSONKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }

        init(_ name: String) {
            stringValue = name
        }

        init?(stringValue: String) {
            self.stringValue = stringValue
        }

        init?(intValue: Int) {
            return nil
        }
    }

    public let pinDirectory: String
    public let abiVersion: UInt32
    public let loadedUnixSeconds: Double
    public let programs: [Program]
    public let attachments: [Attachment]
    public let sockets: [TrackedSocket]
    public let flows: [Flow]
    public let counters: [String: UInt64]
    public let relays: [Relay]
    /// Virtual payloads the relays of this pin set hold, oldest first.
    public let heldPayloads: [HeldPayloadEntry]

    /// Reads every map of an open pin set.
    public static func read(_ objects: KernelObjects) -> StatusSnapshot {
        let meta = objects.meta.lookup(0)
        let now = monotonicNanoseconds()
        let sockets = objects.socks.entries().map { cookie, sock in
            TrackedSocket(
                cookie: cookie,
                family: sock.family == UInt16(AF_INET6) ? "ipv6" : "ipv4",
                local: SocketAddressText.format(sock.local_addr, port: sock.local_port),
                remote: SocketAddressText.format(sock.remote_addr, port: sock.remote_port),
                ageSeconds: Double(now &- sock.established_ns) / 1e9
            )
        }.sorted { $0.cookie < $1.cookie }
        let names = Dictionary(sockets.map { ($0.cookie, "\($0.local)→\($0.remote)") }, uniquingKeysWith: { a, _ in a })
        let flows = objects.flows.entries().map { source, flow in
            let joined = objects.sources.contains(cookie: source)
            let window = joined ? objects.windows.lookup(source) : nil
            let end = window?.end ?? 0
            return Flow(
                sourceCookie: source,
                targetCookie: window?.target_cookie ?? 0,
                source: names[source],
                target: window.flatMap { names[$0.target_cookie] },
                bytesRedirected: flow.redirected,
                bytesPassed: flow.passed,
                streamOffset: flow.offset,
                windowRemaining: end == ODB_WINDOW_UNBOUNDED ? nil : (end > flow.offset ? end - flow.offset : 0),
                state: joined ? flowStateName(flow.state) : names[source] == nil ? "closed" : "idle"
            )
        }.sorted { $0.sourceCookie < $1.sourceCookie }
        let attachments = objects.attachments.entries().map { id, entry in
            Attachment(
                cgroupID: id,
                path: CString.read(entry.path),
                attachedUnixSeconds: Double(entry.attached_unix_ns) / 1e9,
                ownerPID: entry.owner_pid == 0 ? nil : entry.owner_pid,
                ownerAlive: entry.owner_pid == 0 ? nil : processAlive(entry.owner_pid)
            )
        }.sorted { $0.cgroupID < $1.cgroupID }
        let totals = objects.counters.read()
        var counters = [String: UInt64]()
        for counter in KernelCounter.allCases {
            counters[counter.statusKey] = totals[counter.slot]
        }
        return StatusSnapshot(
            pinDirectory: objects.pinDirectory,
            abiVersion: meta?.abi_version ?? 0,
            loadedUnixSeconds: Double(meta?.loaded_unix_ns ?? 0) / 1e9,
            programs: [objects.sockopsProgramFD, objects.verdictProgramFD].compactMap(programInfo),
            attachments: attachments,
            sockets: sockets,
            flows: flows,
            counters: counters,
            relays: objects.relays.entries().map { relay($0.key, $0.value) }.sorted { $0.pid < $1.pid },
            heldPayloads: objects.held.entries().compactMap { HeldPayloadEntry($0.key, $0.value) }
                .filter { processAlive($0.pid) }.sorted { $0.heldUnixSeconds < $1.heldUnixSeconds }
        )
    }

    static func flowStateName(_ state: UInt32) -> String {
        switch state {
        case UInt32(ODB_FLOW_ACTIVE.rawValue): return "active"
        case UInt32(ODB_FLOW_TARGET_GONE.rawValue): return "target_gone"
        case UInt32(ODB_FLOW_FAILED.rawValue): return "failed"
        default: return "unknown(\(state))"
        }
    }

    static func relay(_ pid: UInt32, _ stats: odb_relay_stats) -> Relay {
        let counters = withUnsafeBytes(of: stats.counters) { Array($0.bindMemory(to: UInt64.self)) }
        return Relay(pid: pid, alive: processAlive(pid), counters: counters)
    }

    static func programInfo(_ fd: Int32) -> Program? {
        var info = bpf_prog_info()
        var length = UInt32(MemoryLayout<bpf_prog_info>.size)
        guard bpf_obj_get_info_by_fd(fd, &info, &length) == 0 else { return nil }
        let type: String
        switch info.type {
        case BPF_PROG_TYPE_SOCK_OPS.rawValue: type = "sock_ops"
        case BPF_PROG_TYPE_SK_SKB.rawValue: type = "sk_skb"
        default: type = "type \(info.type)"
        }
        return Program(name: CString.read(info.name), id: info.id, type: type)
    }

    static func processAlive(_ pid: UInt32) -> Bool {
        kill(pid_t(pid), 0) == 0 || errno == EPERM
    }

    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}

/// Prints the 16-byte addresses the sock_ops program stores (IPv4 arrives IPv4-mapped).
public enum SocketAddressText {
    public static func format<T>(_ address: T, port: UInt16) -> String {
        withUnsafeBytes(of: address) { raw in
            let bytes = Array(raw.prefix(16))
            let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
            if mapped {
                return "\(bytes[12]).\(bytes[13]).\(bytes[14]).\(bytes[15]):\(port)"
            }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            _ = bytes.withUnsafeBytes { inet_ntop(AF_INET6, $0.baseAddress, &text, socklen_t(text.count)) }
            return "[\(CString.read(text))]:\(port)"
        }
    }
}
