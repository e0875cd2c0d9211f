import Foundation
import ODBKernel

/// State the workers share: stop flag, connection admission, counters, kernel objects.
final class RelayShared: @unchecked Sendable {
    let kernelObjects: KernelObjects?
    private let lock = NSLock()
    private var connections = 0
    private var perWorker: [RelayCounters]
    private var stop = false

    init(workers: Int, kernelObjects: KernelObjects?) {
        self.kernelObjects = kernelObjects
        perWorker = Array(repeating: RelayCounters(), count: workers)
    }

    var stopRequested: Bool {
        lock.withLock { stop }
    }

    func requestStop() {
        lock.withLock { stop = true }
    }

    func admitConnection(limit: Int) -> Bool {
        lock.withLock {
            guard connections < limit else { return false }
            connections += 1
            return true
        }
    }

    func releaseConnection() {
        lock.withLock { connections -= 1 }
    }

    func publish(worker: Int, _ counters: RelayCounters) {
        lock.withLock { perWorker[worker] = counters }
    }

    var totals: RelayCounters {
        lock.withLock { perWorker.reduce(RelayCounters(), +) }
    }
}
