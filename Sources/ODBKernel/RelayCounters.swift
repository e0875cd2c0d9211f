import OdbShared

/// Counters one relay worker keeps, in the shared struct itself; their sum across workers is
/// the one source of the odb_relays entry `status` reads and of the Prometheus metrics. A
/// counter reads as a property named after its `RelayCounter`: `stats.requests += 1`, which
/// compiles to one add at a constant offset (hence inlinable).
@dynamicMemberLookup
public struct RelayCounters {
    @usableFromInline var stats = odb_relay_stats()

    public init() {}

    @inlinable
    public subscript(counter: RelayCounter) -> UInt64 {
        get {
            withUnsafeBytes(of: stats.counters) { $0.load(fromByteOffset: counter.slot * MemoryLayout<UInt64>.stride, as: UInt64.self) }
        }
        set {
            withUnsafeMutableBytes(of: &stats.counters) {
                $0.storeBytes(of: newValue, toByteOffset: counter.slot * MemoryLayout<UInt64>.stride, as: UInt64.self)
            }
        }
    }

    @inlinable
    public subscript(dynamicMember counter: KeyPath<RelayCounter.Type, RelayCounter>) -> UInt64 {
        get { self[RelayCounter.self[keyPath: counter]] }
        set { self[RelayCounter.self[keyPath: counter]] = newValue }
    }

    /// Indexed by `RelayCounter.slot`.
    public var values: [UInt64] {
        withUnsafeBytes(of: stats.counters) { Array($0.bindMemory(to: UInt64.self)) }
    }

    @inlinable
    public mutating func recordLimit(_ limit: RelayLimit) {
        self[limit.counter] += 1
    }

    @inlinable
    public mutating func recordStatus(_ status: Int) {
        self[.response(status: status)] += 1
    }

    public static func + (a: RelayCounters, b: RelayCounters) -> RelayCounters {
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

extension KernelObjects {
    /// Writes process `pid`'s counters into odb_relays, where `status` reads them.
    public func publishRelay(pid: Int32, _ counters: RelayCounters, updatedNanoseconds: UInt64) {
        try? relays.update(UInt32(pid), counters.mapValue(updatedNanoseconds: updatedNanoseconds))
    }

    /// Removes process `pid`'s odb_relays entry.
    public func removeRelay(pid: Int32) {
        relays.delete(UInt32(pid))
    }
}
