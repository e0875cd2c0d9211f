import Foundation
import Glibc

/// One tier of the bench topology.
public enum Tier: Equatable, Sendable {
    /// The load generator (and the bench itself).
    case client
    /// The `n`-th intermediate from the client, starting at 1.
    case intermediate(Int)
    case origin
}

/// Each tier in its own network namespace, joined by veth links, optionally rate-limited with
/// tbf: separate hosts on one machine, so traffic crosses a real link instead of loopback.
///
/// The client stays in the bench's own namespace. Links: client–1, k–(k+1) for every pair of
/// intermediates, and the origin to the client and to every intermediate, so a chain of any
/// length up to `maxChain` ends at the origin without re-wiring. Link L of the chain is subnet
/// 10.213.L.0/24, link to the origin from tier k is 10.214.k.0/24; the side nearer the client
/// is .1, the far side .2.
///
/// With `meshed`, every two intermediates that are not neighbours get a link too (j < k:
/// 10.215.(16j+k).0/24), so a relay reaches any other directly, as hosts on one switch do: the
/// edge claims from a holder relay at the chain's far end without its bytes crossing the relays
/// between them, which is what a virtual chain claims to save.
public final class NetworkNamespaces: @unchecked Sendable {
    public let maxChain: Int
    public let meshed: Bool
    /// A tc rate (e.g. `10gbit`) for a tbf on both ends of every link; nil for none.
    public let linkRate: String?
    private let prefix: String
    private var created: [String] = []
    /// The links' ends in the bench's own namespace, the client's.
    private var clientDevices: [String] = []
    private var links = 0

    /// Creates the namespaces and links; a failure removes what was made.
    public init(maxChain: Int, linkRate: String?, meshed: Bool = false) throws(BenchError) {
        self.maxChain = maxChain
        self.linkRate = linkRate
        self.meshed = meshed
        prefix = "\(Self.devicePrefix)\(getpid() % 100_000)"
        Self.removeWhatBenchesGoneLeft()
        do {
            for tier in (1...maxChain).map(Tier.intermediate) + [.origin] {
                let name = namespace(tier)!
                _ = try runToCompletion("/usr/sbin/ip", ["netns", "add", name])
                created.append(name)
                _ = try runToCompletion("/usr/sbin/ip", ["-n", name, "link", "set", "lo", "up"])
            }
            try link(.client, .intermediate(1), subnet: "10.213.0")
            for index in stride(from: 1, to: maxChain, by: 1) {
                try link(.intermediate(index), .intermediate(index + 1), subnet: "10.213.\(index)")
            }
            try link(.client, .origin, subnet: "10.214.0")
            for index in 1...maxChain { try link(.intermediate(index), .origin, subnet: "10.214.\(index)") }
            for (near, far) in meshPairs {
                try link(.intermediate(near), .intermediate(far), subnet: "10.215.\(Self.meshSubnet(near, far))")
            }
        } catch {
            remove()
            throw error
        }
    }

    deinit { remove() }

    /// Deletes the client's link ends, which takes their peers too, then the namespaces, whose
    /// remaining veth ends go with them. The client's ends go by name because a deleted
    /// namespace lives on, links and all, while the kernel still holds a reference to it (a
    /// socket not yet freed): its link would keep the subnet routed to it, and a later bench's
    /// tier on that subnet would be unreachable.
    public func remove() {
        for device in clientDevices { _ = try? runToCompletion("/usr/sbin/ip", ["link", "del", device]) }
        clientDevices.removeAll()
        for name in created.reversed() { _ = try? runToCompletion("/usr/sbin/ip", ["netns", "del", name]) }
        created.removeAll()
    }

    private static let devicePrefix = "odbb"

    /// Deletes what benches no longer running left (killed before `remove`, or with a namespace
    /// that outlived them): their namespaces, then their links in this namespace, whose subnets
    /// are this bench's. Both are named after their bench's process id modulo 100 000, so a
    /// bench running elsewhere with an id that ends the same keeps them only while that id is
    /// taken; two `--netns` benches cannot share a machine anyway, since both use the same
    /// subnets.
    private static func removeWhatBenchesGoneLeft() {
        let namespaces = (try? runToCompletion("/usr/sbin/ip", ["netns", "list"])) ?? ""
        // "odbb12014-o (id: 1)"
        for name in namespaces.split(separator: "\n").compactMap({ $0.split(separator: " ").first }) where isOfABenchGone(name) {
            _ = try? runToCompletion("/usr/sbin/ip", ["netns", "del", String(name)])
        }
        let links = (try? runToCompletion("/usr/sbin/ip", ["-o", "link", "show"])) ?? ""
        for line in links.split(separator: "\n") {
            // "696: odbb12014a2@if695: <BROADCAST,…"
            let fields = line.split(separator: " ", maxSplits: 2)
            guard fields.count > 1, let device = fields[1].split(separator: "@").first?.split(separator: ":").first,
                  isOfABenchGone(device) else { continue }
            _ = try? runToCompletion("/usr/sbin/ip", ["link", "del", String(device)])
        }
    }

    /// Whether a namespace or link name is a bench's whose process no longer runs.
    private static func isOfABenchGone(_ name: Substring) -> Bool {
        guard name.hasPrefix(devicePrefix), let pid = pid_t(name.dropFirst(devicePrefix.count).prefix(while: \.isNumber)) else {
            return false
        }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// The namespace a tier runs in; nil for the client (the bench's own).
    func namespace(_ tier: Tier) -> String? {
        switch tier {
        case .client: return nil
        case let .intermediate(index): return "\(prefix)-i\(index)"
        case .origin: return "\(prefix)-o"
        }
    }

    /// The address `from` uses to reach `to`; the two must share a link.
    func address(of to: Tier, from: Tier) -> String {
        switch (from, to) {
        case (.client, .intermediate(1)): return "10.213.0.2"
        case let (.intermediate(index), .intermediate(next)) where next == index + 1: return "10.213.\(index).2"
        case (.client, .origin): return "10.214.0.2"
        case let (.intermediate(index), .origin): return "10.214.\(index).2"
        case let (.intermediate(index), .intermediate(next)) where meshed && index < next - 1:
            return "10.215.\(Self.meshSubnet(index, next)).2"
        case let (.intermediate(index), .intermediate(previous)) where meshed && previous < index - 1:
            return "10.215.\(Self.meshSubnet(previous, index)).1"
        default: preconditionFailure("no link from \(from) to \(to)")
        }
    }

    /// The pairs of intermediates (nearer the client first) that only a mesh links.
    private var meshPairs: [(Int, Int)] {
        guard meshed else { return [] }
        return (1...maxChain).flatMap { near in stride(from: near + 2, through: maxChain, by: 1).map { (near, $0) } }
    }

    /// The third octet of the mesh link between intermediates `near` < `far`.
    private static func meshSubnet(_ near: Int, _ far: Int) -> Int { near * 16 + far }

    /// `executable arguments` wrapped to run in the tier's namespace. nsenter enters only the
    /// network namespace: `ip netns exec` would also remount /sys, hiding bpffs and cgroup2.
    func command(_ tier: Tier, _ executable: String, _ arguments: [String]) -> (String, [String]) {
        guard let name = namespace(tier) else { return (executable, arguments) }
        return ("/usr/bin/nsenter", ["--net=/run/netns/\(name)", "--", executable] + arguments)
    }

    /// True when something listens on `port` in the tier's namespace.
    func isListening(_ tier: Tier, port: Int) -> Bool {
        let (executable, arguments) = command(tier, "/usr/bin/ss", ["-Hltn", "sport = :\(port)"])
        let output = (try? runToCompletion(executable, arguments)) ?? ""
        return !output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }

    private func link(_ near: Tier, _ far: Tier, subnet: String) throws(BenchError) {
        links += 1
        let nearName = "\(prefix)a\(links)"
        let farName = "\(prefix)b\(links)"
        _ = try runToCompletion("/usr/sbin/ip", ["link", "add", nearName, "type", "veth", "peer", "name", farName])
        for (tier, device, host) in [(near, nearName, 1), (far, farName, 2)] {
            var ip = ["/usr/sbin/ip"]
            if let name = namespace(tier) {
                _ = try runToCompletion("/usr/sbin/ip", ["link", "set", device, "netns", name])
                ip += ["-n", name]
            } else {
                clientDevices.append(device)
            }
            _ = try runToCompletion(ip[0], Array(ip.dropFirst()) + ["addr", "add", "\(subnet).\(host)/24", "dev", device])
            _ = try runToCompletion(ip[0], Array(ip.dropFirst()) + ["link", "set", device, "up"])
            if let linkRate {
                let (tc, arguments) = command(tier, "/usr/sbin/tc", [
                    "qdisc", "add", "dev", device, "root", "tbf", "rate", linkRate, "burst", "1mb", "latency", "50ms",
                ])
                _ = try runToCompletion(tc, arguments)
            }
        }
    }
}
