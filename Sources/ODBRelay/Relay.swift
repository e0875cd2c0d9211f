import CoreMetrics
import Foundation
import Glibc
import Logging
import ODBConfig
import ODBKernel

nonisolated(unsafe) private var stopSignal: sig_atomic_t = 0
nonisolated(unsafe) private var reloadSignal: sig_atomic_t = 0

/// Where the relay's metrics go: the caller's factory, and how to render what it collected
/// for the admin endpoint, where the relay's own latency histograms follow it. The relay never
/// bootstraps a metrics system itself.
public struct MetricsExport: Sendable {
    public let factory: any MetricsFactory
    public let render: @Sendable () -> [UInt8]

    public init(factory: any MetricsFactory, render: @escaping @Sendable () -> [UInt8]) {
        self.factory = factory
        self.render = render
    }
}

/// The relay process: kernel objects, worker threads, signals and the status entry.
public final class Relay {
    private(set) var config: RelayConfig
    let pinRoot: String
    private(set) var logger: Logger
    let metricsExport: MetricsExport
    let reloadConfig: () throws(ConfigError) -> RelayConfig
    /// False once the relay gave CAP_NET_ADMIN up: socket buffers then stay within the maxima.
    private var forcesBuffers = true

    /// - Parameter reload: Reads the configuration again for SIGHUP (the file plus any
    ///   command-line overrides); a thrown error keeps the running configuration.
    public init(config: RelayConfig, pinRoot: String, logger: Logger, metrics: MetricsExport,
                reload: @escaping () throws(ConfigError) -> RelayConfig) {
        self.config = config
        self.pinRoot = pinRoot
        self.logger = logger
        metricsExport = metrics
        reloadConfig = reload
    }

    /// Runs until SIGTERM or SIGINT, then drains in-flight exchanges for the grace period;
    /// SIGHUP reloads the configuration.
    public func run(ready: (() -> Void)? = nil) throws {
        installSignalHandlers()
        // Looked up first: an unknown user fails before anything is loaded or bound.
        let identity = try config.user.map { try PrivilegeDrop.identity(user: $0, group: config.group) }
        let needsKernel = config.usesKernel
        let kernel = needsKernel ? try RelayKernelLease.acquire(pinRoot: pinRoot, logger: logger) : nil
        defer { kernel?.release() }
        let tested = kernel.map { (objects: $0.objects, decision: selfTest($0.objects)) }
        let workerCount = config.workers
        let metrics = RelayMetrics(factory: metricsExport.factory)
        let descriptors = DescriptorBudget.raiseSoftLimit()
        let descriptorCap = DescriptorBudget.connections(within: descriptors)
        if descriptorCap < config.limits.maxConnections {
            logger.warning("max_connections is more than the file-descriptor limit carries; admitting fewer", metadata: [
                "max_connections": "\(config.limits.maxConnections)", "RLIMIT_NOFILE": "\(descriptors)",
                "admitted": "\(descriptorCap)",
            ])
        }
        let shared = RelayShared(workers: workerCount, kernel: tested, config: config,
                                 descriptorConnectionCap: descriptorCap)
        let publisher = CounterPublisher(shared: shared, kernel: kernel, metrics: metrics,
                                         socketTable: SocketTableWatch(logger: logger))
        let render = metricsExport.render
        // Bound before the relay's own listeners, so a relay that accepts traffic can be scraped.
        let admin = try config.admin.map { admin in
            try AdminServer(config: admin) {
                publisher.publish()
                return render() + shared.latencyTotals.render()
            }
        }
        let workers = try (0..<workerCount).map { index in
            try Worker(index: index, config: config, shared: shared, logger: logger)
        }
        if let identity {
            try become(identity, keeping: runtimeCapabilities(kernel: needsKernel),
                       handingOver: kernel?.ownedDirectories ?? [])
        }
        let finished = DispatchSemaphore(value: 0)
        for worker in workers {
            let thread = Thread {
                worker.run()
                finished.signal()
            }
            thread.name = "odb-worker-\(worker.index)"
            thread.start()
        }
        admin?.start()
        logger.notice("relay started", metadata: [
            "workers": "\(workerCount)",
            "listeners": "\(config.listeners.map { $0.listen.description })",
            "kernel": "\(kernel?.objects.pinDirectory ?? "off")",
            "admin": "\(config.admin.map { [$0.listen?.description, $0.socket].compactMap { $0 }.joined(separator: " ") } ?? "off")",
        ])
        ready?()
        var running = workerCount
        var pendingReload: Int?
        while running > 0 {
            if stopSignal != 0 && !shared.stopRequested {
                logger.notice("stopping: no new connections, in-flight exchanges finish within the grace period")
                shared.requestStop()
            }
            if reloadSignal != 0 && !shared.stopRequested {
                reloadSignal = 0
                pendingReload = reload(into: shared, metrics: metrics, kernelLoaded: kernel != nil) ?? pendingReload
            }
            if let generation = pendingReload, shared.allWorkersApplied(generation) {
                pendingReload = nil
                logger.notice("configuration reloaded; every request from now on uses it")
            }
            if finished.wait(timeout: .now() + 0.25) == .success { running -= 1 }
            publisher.publish()
        }
        admin?.stop()
        logger.notice("relay stopped")
    }

    /// Tests that this kernel delivers redirected bytes exactly once (KernelSelfTest) and logs
    /// the result: the workers redirect only after it passed.
    private func selfTest(_ objects: KernelObjects) -> KernelPathDecision {
        let started = Monotonic.now()
        let result = KernelSelfTest.run(objects: objects, logger: logger)
        KernelPathDecision.log(result, seconds: Monotonic.now() - started, to: logger)
        return KernelPathDecision(result)
    }

    private func installSignalHandlers() {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGTERM) { _ in stopSignal = 1 }
        signal(SIGINT) { _ in stopSignal = 1 }
        signal(SIGHUP) { _ in reloadSignal = 1 }
        // A parent may have started us with these blocked (test runners do); threads started
        // later inherit this mask.
        var handled = sigset_t()
        sigemptyset(&handled)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&handled, signal) }
        pthread_sigmask(SIG_UNBLOCK, &handled, nil)
    }

    /// CAP_BPF with a kernel path, and CAP_NET_ADMIN only when the socket buffers the relay sets
    /// (the kernel path's, a spliced body's) pass the host's maxima; keeping it is logged with
    /// the reason.
    private func runtimeCapabilities(kernel: Bool) -> [(bit: Int, name: String)] {
        let needs = SocketBufferCeiling.Needs(config)
        let ceiling = SocketBufferCeiling.host
        forcesBuffers = !ceiling.fits(needs)
        if forcesBuffers {
            logger.notice("keeping CAP_NET_ADMIN: socket buffers the relay sets pass the host's maxima, which only SO_RCVBUFFORCE/SO_SNDBUFFORCE may do", metadata: [
                "sizes": "\(needs)", "maxima": "\(ceiling)",
            ])
        }
        return PrivilegeDrop.runtimeCapabilities(kernel: kernel, forcingBuffers: forcesBuffers)
    }

    /// Becomes the configured user before any thread starts (capabilities are per thread;
    /// threads started afterwards inherit the reduced set).
    private func become(_ identity: PrivilegeDrop.Identity, keeping capabilities: [(bit: Int, name: String)],
                        handingOver directories: [String]) throws {
        let outcome = try PrivilegeDrop.become(identity, keep: capabilities, handingOver: directories)
        logger.notice(outcome == .switched ? "switched user" : "already running as the configured user; dropped unneeded capabilities", metadata: [
            "user": "\(identity.user)", "uid": "\(identity.uid)", "gid": "\(identity.gid)",
            "capabilities": "\(capabilities.map(\.name).joined(separator: ","))",
        ])
    }

    /// Reads the configuration again and hands it to the workers; returns its generation, or
    /// nil when it was refused (the running configuration stays).
    private func reload(into shared: RelayShared, metrics: RelayMetrics, kernelLoaded: Bool) -> Int? {
        let new: RelayConfig
        do {
            new = try reloadConfig()
        } catch {
            logger.error("configuration reload refused, the running configuration stays: \(error)")
            metrics.recordReload(applied: false)
            return nil
        }
        let fixed = config.settingsNeedingRestart(for: new)
        guard fixed.isEmpty else {
            logger.error("configuration reload refused, the running configuration stays: changing \(fixed.joined(separator: ", ")) needs a restart")
            metrics.recordReload(applied: false)
            return nil
        }
        let needs = SocketBufferCeiling.Needs(new)
        if !forcesBuffers && !SocketBufferCeiling.host.fits(needs) {
            logger.warning("socket buffers the relay sets now pass the host's maxima, and the relay gave CAP_NET_ADMIN up at start: kernel-path send buffers stay at the maximum and spliced bodies' memory is left to autotuning until a restart", metadata: [
                "sizes": "\(needs)", "maxima": "\(SocketBufferCeiling.host)",
            ])
        }
        if !kernelLoaded && new.usesKernel {
            logger.warning("routes in kernel or auto mode splice the bodies they would redirect in the kernel until a restart: the relay started without kernel objects")
        }
        config = new
        logger.logLevel = Logger.Level(rawValue: new.log.level.rawValue) ?? logger.logLevel
        metrics.recordReload(applied: true)
        return shared.install(new)
    }
}

/// The kernel objects a relay uses and how to give them back when it exits.
///
/// With a prior `attach` the relay shares the pinned set; when the attached cgroups do not
/// cover it, it hooks a cgroup of its own in that set. Without one it loads a private set
/// under `<pin root>/relay-<pid>`, hooks a cgroup of its own, and removes the set at exit.
/// The hook on the relay's own cgroup is a link only the relay holds, so it ends with the
/// process even under SIGKILL; the maps of a killed relay's private set stay pinned, where
/// `status` shows the dead owner, until `detach` or the next relay start removes them.
struct RelayKernelLease {
    let objects: KernelObjects
    /// The pin set this relay created and unpins at exit; a relay that switches user hands it
    /// over so it can still unpin it (the pin root stays its creator's, `PrivatePinSet`).
    let ownedDirectories: [String]
    private let cleanup: () -> Void

    static func acquire(pinRoot: String, logger: Logger) throws(KernelError) -> RelayKernelLease {
        let pid = getpid()
        if KernelObjects.isPinned(at: pinRoot) {
            let objects = try KernelObjects.open(pinDirectory: pinRoot)
            if covered(try Filesystems.ownCgroupDirectory(), by: objects) {
                return RelayKernelLease(objects: objects, ownedDirectories: []) { objects.removeRelay(pid: pid) }
            }
            let hook = try OwnCgroupHook.install(objects, pid: pid, logger: logger)
            logger.notice("hooked the relay's own cgroup in the shared pin set", metadata: ["cgroup": "\(hook.cgroup.path)"])
            return RelayKernelLease(objects: objects, ownedDirectories: []) {
                hook.remove(logger: logger)
                objects.removeRelay(pid: pid)
            }
        }
        try Filesystems.preparePinDirectory(pinRoot)
        for directory in try DeadRelaySets.remove(pinRoot: pinRoot, startingPID: UInt32(pid)) {
            logger.notice("removed the pin set of a relay that died", metadata: ["pin": "\(directory)"])
        }
        let directory = SystemStatus.relayPinDirectory(pinRoot: pinRoot, pid: pid)
        let objects = try KernelObjects.openOrLoad(pinDirectory: directory)
        let set: PrivatePinSet
        let hook: OwnCgroupHook
        do {
            set = try PrivatePinSet(pinRoot: pinRoot, pid: pid)
            hook = try OwnCgroupHook.install(objects, pid: pid, logger: logger)
        } catch {
            _ = try? CgroupAttachment.detachAll(pinDirectory: directory)
            throw error
        }
        return RelayKernelLease(objects: objects, ownedDirectories: [directory]) {
            hook.remove(logger: logger)
            Self.remove(set, logger: logger)
            // The root stays when other relays or an attach still use it, or when this relay
            // switched to a user that may not remove it.
            rmdir(pinRoot)
        }
    }

    private static func remove(_ set: PrivatePinSet, logger: Logger) {
        do {
            if case let .emptyDirectoryStays(code) = try set.remove() {
                logger.notice("unpinned the relay's set; its empty directory stays until the next relay start or detach removes it", metadata: [
                    "pin": "\(set.directory)", "reason": "\(String(cString: strerror(code)))",
                ])
            }
        } catch {
            logger.error("could not unpin the relay's set; the next relay start or detach removes it: \(error)")
        }
    }

    private init(objects: KernelObjects, ownedDirectories: [String], cleanup: @escaping () -> Void) {
        self.objects = objects
        self.ownedDirectories = ownedDirectories
        self.cleanup = cleanup
    }

    /// True when `cgroup` or one of its ancestors is hooked in this set.
    private static func covered(_ cgroup: String, by objects: KernelObjects) -> Bool {
        var path = cgroup
        while !path.isEmpty && path != "/" {
            if let id = try? Filesystems.cgroupID(of: path), objects.attachments.lookup(id) != nil { return true }
            path = (path as NSString).deletingLastPathComponent
        }
        return false
    }

    func publish(_ counters: RelayCounters) {
        objects.publishRelay(pid: getpid(), counters, updatedNanoseconds: UInt64(Date().timeIntervalSince1970 * 1e9))
    }

    func release() {
        cleanup()
    }
}
