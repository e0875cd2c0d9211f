import Foundation
import ODBConfig
import ODBKernel

/// State the workers share: stop flag, connection admission, counters, kernel objects, metrics
/// and the configuration a reload installs.
final class RelayShared: @unchecked Sendable {
    /// The objects workers redirect bodies with: nil when no route needs the kernel, or when it
    /// failed its self-test.
    let kernelObjects: KernelObjects?
    let kernelSelfTestFailed: Bool
    let metrics: RelayMetrics
    /// Client connections the descriptor limit can carry, whatever `limits.max_connections` says.
    let descriptorConnectionCap: Int
    private let lock = NSLock()
    private var connections = 0
    private var perWorker: [RelayCounters]
    private var stop = false
    private var config: (generation: Int, value: RelayConfig)
    private var appliedGeneration: [Int]

    init(workers: Int, kernel: (objects: KernelObjects, decision: KernelPathDecision)?, metrics: RelayMetrics, config: RelayConfig,
         descriptorConnectionCap: Int = .max) {
        kernelObjects = kernel?.decision == .redirect ? kernel?.objects : nil
        kernelSelfTestFailed = kernel.map { $0.decision != .redirect } ?? false
        self.descriptorConnectionCap = descriptorConnectionCap
        self.metrics = metrics
        self.config = (0, config)
        perWorker = Array(repeating: RelayCounters(), count: workers)
        appliedGeneration = Array(repeating: 0, count: workers)
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

    /// Makes `new` the configuration every worker switches to; returns its generation.
    func install(_ new: RelayConfig) -> Int {
        lock.withLock {
            config = (config.generation + 1, new)
            return config.generation
        }
    }

    /// The installed configuration when it is newer than `generation`.
    func configuration(newerThan generation: Int) -> (generation: Int, value: RelayConfig)? {
        lock.withLock { config.generation > generation ? config : nil }
    }

    func acknowledge(worker: Int, generation: Int) {
        lock.withLock { appliedGeneration[worker] = generation }
    }

    /// True once every worker runs with `generation` or a later one.
    func allWorkersApplied(_ generation: Int) -> Bool {
        lock.withLock { appliedGeneration.allSatisfy { $0 >= generation } }
    }
}
