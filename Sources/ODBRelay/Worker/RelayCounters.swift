import ODBKernel
import OdbShared

/// Counters one worker keeps, in the shared struct itself; their sum across workers is the one
/// source of the odb_relays entry `status` reads and of the Prometheus metrics
/// (CounterPublisher writes both). A counter reads as a property named after its
/// `RelayCounter`: `stats.requests += 1`.
@dynamicMemberLookup
struct RelayCounters {
    private var stats = odb_relay_stats()

    subscript(counter: RelayCounter) -> UInt64 {
        get {
            withUnsafeBytes(of: stats.counters) { $0.load(fromByteOffset: counter.slot * MemoryLayout<UInt64>.stride, as: UInt64.self) }
        }
        set {
            withUnsafeMutableBytes(of: &stats.counters) {
                $0.storeBytes(of: newValue, toByteOffset: counter.slot * MemoryLayout<UInt64>.stride, as: UInt64.self)
            }
        }
    }

    subscript(dynamicMember counter: KeyPath<RelayCounter.Type, RelayCounter>) -> UInt64 {
        get { self[RelayCounter.self[keyPath: counter]] }
        set { self[RelayCounter.self[keyPath: counter]] = newValue }
    }

    /// Indexed by `RelayCounter.slot`.
    var values: [UInt64] {
        withUnsafeBytes(of: stats.counters) { Array($0.bindMemory(to: UInt64.self)) }
    }

    mutating func recordLimit(_ limit: RelayLimit) {
        self[limit.counter] += 1
    }

    mutating func recordStatus(_ status: Int) {
        self[.response(status: status)] += 1
    }

    static func + (a: RelayCounters, b: RelayCounters) -> RelayCounters {
        var sum = a
        for counter in RelayCounter.allCases { sum[counter] += b[counter] }
        return sum
    }

    /// The shared struct status reads.
    func mapValue(updatedNanoseconds: UInt64) -> odb_relay_stats {
        var value = stats
        value.updated_unix_ns = updatedNanoseconds
        return value
    }
}
