import ODBKernel
import OdbShared

/// Counters one worker keeps; their sum across workers is the one source of the odb_relays
/// entry `status` reads and of the Prometheus metrics (CounterPublisher writes both).
struct RelayCounters {
    var bodyBytesKernel: UInt64 = 0
    var bodyBytesSplice: UInt64 = 0
    var bodyBytesCopy: UInt64 = 0
    var requests: UInt64 = 0
    var responsesByClass = [UInt64](repeating: 0, count: 6)
    var fallbacksSmallBody: UInt64 = 0
    var fallbacksUnparsed: UInt64 = 0
    var fallbacksUnsupported: UInt64 = 0
    var fallbacksKernelSelfTest: UInt64 = 0
    var fallbacksBufferMemory: UInt64 = 0
    var rejectedRequests: UInt64 = 0
    var refusedConnections: UInt64 = 0
    /// Indexed by `RelayLimit.slot`.
    var limitCloses = [UInt64](repeating: 0, count: RelayLimit.slotCount)
    var upstreamErrors: UInt64 = 0
    var activeConnections: UInt64 = 0
    var activeFlows: UInt64 = 0

    mutating func recordLimit(_ limit: RelayLimit) {
        limitCloses[limit.slot] += 1
    }

    mutating func recordStatus(_ status: Int) {
        let index = status / 100
        responsesByClass[index >= 1 && index <= 5 ? index : 0] += 1
    }

    static func + (a: RelayCounters, b: RelayCounters) -> RelayCounters {
        var sum = RelayCounters()
        sum.bodyBytesKernel = a.bodyBytesKernel + b.bodyBytesKernel
        sum.bodyBytesSplice = a.bodyBytesSplice + b.bodyBytesSplice
        sum.bodyBytesCopy = a.bodyBytesCopy + b.bodyBytesCopy
        sum.requests = a.requests + b.requests
        sum.responsesByClass = zip(a.responsesByClass, b.responsesByClass).map(+)
        sum.fallbacksSmallBody = a.fallbacksSmallBody + b.fallbacksSmallBody
        sum.fallbacksUnparsed = a.fallbacksUnparsed + b.fallbacksUnparsed
        sum.fallbacksUnsupported = a.fallbacksUnsupported + b.fallbacksUnsupported
        sum.fallbacksKernelSelfTest = a.fallbacksKernelSelfTest + b.fallbacksKernelSelfTest
        sum.fallbacksBufferMemory = a.fallbacksBufferMemory + b.fallbacksBufferMemory
        sum.rejectedRequests = a.rejectedRequests + b.rejectedRequests
        sum.refusedConnections = a.refusedConnections + b.refusedConnections
        sum.limitCloses = zip(a.limitCloses, b.limitCloses).map(+)
        sum.upstreamErrors = a.upstreamErrors + b.upstreamErrors
        sum.activeConnections = a.activeConnections + b.activeConnections
        sum.activeFlows = a.activeFlows + b.activeFlows
        return sum
    }

    /// The shared struct status reads.
    func mapValue(updatedNanoseconds: UInt64) -> odb_relay_stats {
        var stats = odb_relay_stats()
        stats.body_bytes_kernel = bodyBytesKernel
        stats.body_bytes_splice = bodyBytesSplice
        stats.body_bytes_copy = bodyBytesCopy
        stats.requests = requests
        withUnsafeMutableBytes(of: &stats.responses_by_class) { raw in
            for (index, count) in responsesByClass.enumerated() { raw.storeBytes(of: count, toByteOffset: index * 8, as: UInt64.self) }
        }
        stats.fallbacks_small_body = fallbacksSmallBody
        stats.fallbacks_unparsed = fallbacksUnparsed
        stats.fallbacks_unsupported = fallbacksUnsupported
        stats.fallbacks_kernel_selftest = fallbacksKernelSelfTest
        stats.fallbacks_buffer_memory = fallbacksBufferMemory
        stats.rejected_requests = rejectedRequests
        stats.refused_connections = refusedConnections
        withUnsafeMutableBytes(of: &stats.limit_closes) { raw in
            for (index, count) in limitCloses.enumerated() { raw.storeBytes(of: count, toByteOffset: index * 8, as: UInt64.self) }
        }
        stats.upstream_errors = upstreamErrors
        stats.active_connections = activeConnections
        stats.active_flows = activeFlows
        stats.updated_unix_ns = updatedNanoseconds
        return stats
    }
}
