import Foundation

/// The body-byte counters of a set of relays, summed, as `odb-redirect status --json` reports them.
public struct RelayBodyCounters: Sendable, Equatable {
    public var kernel = 0
    public var splice = 0
    public var copy = 0
    public var fallbacks = 0
    public var requests = 0
    /// `virtual_payloads` events (held, passed, claims, faults, claims_failed, …) by name.
    public var virtualPayloads: [String: Int] = [:]

    /// Reads the counters of `pids` from the relays' pin sets under `pinRoot`.
    ///
    /// Relays publish counters every 250 ms, so callers wait that long after the load stops.
    public static func read(odbRedirect: String, pinRoot: String, pids: [Int32]) throws(BenchError) -> RelayBodyCounters {
        let text = try runToCompletion(odbRedirect, ["status", "--json", "--pin", pinRoot])
        return try parse(statusJSON: text, pids: pids)
    }

    /// Sums `sets[].relays[]` entries whose `pid` is one of `pids`.
    public static func parse(statusJSON text: String, pids: [Int32]) throws(BenchError) -> RelayBodyCounters {
        guard let report = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let sets = report["sets"] as? [[String: Any]] else {
            throw .unparsable(tool: "odb-redirect status --json", detail: String(text.prefix(500)))
        }
        var total = RelayBodyCounters()
        let wanted = Set(pids.map(Int.init))
        for relay in sets.flatMap({ $0["relays"] as? [[String: Any]] ?? [] }) {
            guard let pid = relay["pid"] as? Int, wanted.contains(pid) else { continue }
            let body = relay["body_bytes"] as? [String: Int] ?? [:]
            total.kernel += body["kernel"] ?? 0
            total.splice += body["splice"] ?? 0
            total.copy += body["copy"] ?? 0
            total.fallbacks += (relay["fallbacks"] as? [String: Int] ?? [:]).values.reduce(0, +)
            total.requests += relay["requests"] as? Int ?? 0
            total.virtualPayloads.merge(relay["virtual_payloads"] as? [String: Int] ?? [:], uniquingKeysWith: +)
        }
        return total
    }

    /// What was counted since `earlier`.
    public func since(_ earlier: RelayBodyCounters) -> RelayBodyCounters {
        RelayBodyCounters(kernel: kernel - earlier.kernel, splice: splice - earlier.splice, copy: copy - earlier.copy,
                          fallbacks: fallbacks - earlier.fallbacks, requests: requests - earlier.requests,
                          virtualPayloads: virtualPayloads.merging(earlier.virtualPayloads.mapValues { -$0 }, uniquingKeysWith: +))
    }

    /// Share of body bytes the kernel moved; nil when no body byte was counted.
    public var kernelShare: Double? {
        let total = kernel + splice + copy
        return total > 0 ? Double(kernel) / Double(total) : nil
    }
}
