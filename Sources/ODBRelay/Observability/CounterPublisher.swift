import Foundation

/// Hands one snapshot of the workers' counters to both of its readers at once: the process's
/// odb_relays entry, which `odb-redirect status` reads, and the metrics the admin endpoint
/// serves. One snapshot, two views: the numbers cannot drift apart.
final class CounterPublisher: @unchecked Sendable {
    private let shared: RelayShared
    private let kernel: RelayKernelLease?
    private let metrics: RelayMetrics
    private let socketTable: SocketTableWatch
    private let lock = NSLock()

    init(shared: RelayShared, kernel: RelayKernelLease?, metrics: RelayMetrics, socketTable: SocketTableWatch) {
        self.shared = shared
        self.kernel = kernel
        self.metrics = metrics
        self.socketTable = socketTable
    }

    func publish() {
        lock.withLock {
            let totals = shared.totals
            kernel?.publish(totals)
            let kernelCounters = kernel?.objects.counters.read() ?? []
            metrics.update(totals, kernel: kernelCounters)
            socketTable.observe(kernelCounters, now: Monotonic.now())
        }
    }
}
