import Foundation
import ODBConfig
import ODBKernel
import Synchronization

/// State the workers share: stop flag, connection admission, counters and latencies, kernel
/// objects and the configuration a reload installs.
final class RelayShared: @unchecked Sendable {
    /// The objects workers redirect bodies with: nil when no route needs the kernel, or when it
    /// failed its self-test.
    let kernelObjects: KernelObjects?
    /// The maps `status` reads, whenever the relay has kernel objects (also when the kernel path
    /// failed its self-test): held payloads are listed there.
    let statusObjects: KernelObjects?
    let kernelSelfTestFailed: Bool
    /// Client connections the descriptor limit can carry, whatever `limits.max_connections` says.
    let descriptorConnectionCap: Int
    /// What forced socket buffers hold across workers, under `limits.kernel_buffer_memory`.
    let forcedBufferMemory: ForcedBufferMemory
    /// Which worker holds each virtual payload, under the caps that bound them all.
    let heldPayloads = HeldPayloadRegistry()
    private let lock = NSLock()
    private var connections = 0
    /// Open client connections by client address, for `limits.max_connections_per_client`.
    private var connectionsByClient = [String: Int]()
    private var perWorker: [RelayCounters]
    private var perWorkerLatencies: [RelayLatencies]
    /// Read by every worker on every pass of its loop: an atomic, so that the workers do not
    /// contend for `lock` there.
    private let stop = Atomic<Bool>(false)
    private var config: (generation: Int, value: RelayConfig)
    private var appliedGeneration: [Int]

    init(workers: Int, kernel: (objects: KernelObjects, decision: KernelPathDecision)?, config: RelayConfig,
         descriptorConnectionCap: Int = .max) {
        kernelObjects = kernel?.decision == .redirect ? kernel?.objects : nil
        statusObjects = kernel?.objects
        kernelSelfTestFailed = kernel.map { $0.decision != .redirect } ?? false
        self.descriptorConnectionCap = descriptorConnectionCap
        forcedBufferMemory = ForcedBufferMemory(limit: config.limits.kernelBufferMemory)
        self.config = (0, config)
        perWorker = Array(repeating: RelayCounters(), count: workers)
        perWorkerLatencies = Array(repeating: RelayLatencies(), count: workers)
        appliedGeneration = Array(repeating: 0, count: workers)
    }

    var stopRequested: Bool {
        stop.load(ordering: .acquiring)
    }

    func requestStop() {
        stop.store(true, ordering: .releasing)
    }

    enum Admission {
        case admitted, overLimit, overClientLimit
    }

    /// Counts a new connection from `client` unless it would pass `limit` or, when
    /// `perClientLimit` is above 0, the client's own cap.
    func admitConnection(limit: Int, client: String, perClientLimit: Int) -> Admission {
        lock.withLock {
            guard connections < limit else { return .overLimit }
            let fromClient = connectionsByClient[client, default: 0]
            guard perClientLimit == 0 || fromClient < perClientLimit else { return .overClientLimit }
            connections += 1
            connectionsByClient[client] = fromClient + 1
            return .admitted
        }
    }

    func releaseConnection(client: String) {
        lock.withLock {
            connections -= 1
            let left = connectionsByClient[client, default: 1] - 1
            connectionsByClient[client] = left > 0 ? left : nil
        }
    }

    func publish(worker: Int, _ counters: RelayCounters, _ latencies: RelayLatencies) {
        lock.withLock {
            perWorker[worker] = counters
            perWorkerLatencies[worker] = latencies
        }
    }

    var totals: RelayCounters {
        lock.withLock { perWorker.reduce(RelayCounters(), +) }
    }

    /// The workers' latency histograms summed, as a scrape renders them.
    var latencyTotals: RelayLatencies {
        lock.withLock { perWorkerLatencies.reduce(RelayLatencies(), +) }
    }

    /// Makes `new` the configuration every worker switches to; returns its generation.
    func install(_ new: RelayConfig) -> Int {
        lock.withLock {
            config = (config.generation + 1, new)
            forcedBufferMemory.setLimit(new.limits.kernelBufferMemory)
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
