import ODBKernel
import OdbShared

/// Counters one worker keeps, one value per `RelayCounter`; their sum across workers is the one
/// source of the odb_relays entry `status` reads and of the Prometheus metrics
/// (CounterPublisher writes both). A counter reads as a property named after its
/// `RelayCounter`: `stats.requests += 1`.
@dynamicMemberLookup
struct RelayCounters {
    /// Indexed by `RelayCounter.slot`.
    private(set) var values = [UInt64](repeating: 0, count: RelayCounter.slotCount)

    subscript(counter: RelayCounter) -> UInt64 {
        get { values[counter.slot] }
        set { values[counter.slot] = newValue }
    }

    subscript(dynamicMember counter: KeyPath<RelayCounter.Type, RelayCounter>) -> UInt64 {
        get { self[RelayCounter.self[keyPath: counter]] }
        set { self[RelayCounter.self[keyPath: counter]] = newValue }
    }

    mutating func recordLimit(_ limit: RelayLimit) {
        self[limit.counter] += 1
    }

    mutating func recordStatus(_ status: Int) {
        self[.response(status: status)] += 1
    }

    static func + (a: RelayCounters, b: RelayCounters) -> RelayCounters {
        var sum = RelayCounters()
        sum.values = zip(a.values, b.values).map(+)
        return sum
    }

    /// The shared struct status reads.
    func mapValue(updatedNanoseconds: UInt64) -> odb_relay_stats {
        var stats = odb_relay_stats()
        withUnsafeMutableBytes(of: &stats.counters) { raw in
            _ = raw.bindMemory(to: UInt64.self).update(fromContentsOf: values)
        }
        stats.updated_unix_ns = updatedNanoseconds
        return stats
    }
}
