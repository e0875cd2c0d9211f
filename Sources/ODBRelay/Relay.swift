import Foundation
import Glibc
import Logging
import ODBConfig
import ODBKernel

nonisolated(unsafe) private var stopSignal: sig_atomic_t = 0

/// The relay process: kernel objects, worker threads, signals and the status entry.
public final class Relay {
    let config: RelayConfig
    let pinRoot: String
    let logger: Logger

    public init(config: RelayConfig, pinRoot: String, logger: Logger) {
        self.config = config
        self.pinRoot = pinRoot
        self.logger = logger
    }

    /// Runs until SIGTERM or SIGINT, then drains in-flight exchanges for the grace period.
    public func run(ready: (() -> Void)? = nil) throws {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGTERM) { _ in stopSignal = 1 }
        signal(SIGINT) { _ in stopSignal = 1 }
        // A parent may have started us with these blocked (test runners do); threads started
        // below inherit this mask.
        var handled = sigset_t()
        sigemptyset(&handled)
        sigaddset(&handled, SIGTERM)
        sigaddset(&handled, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &handled, nil)
        let needsKernel = config.listeners.contains { $0.routes.contains { $0.mode == .kernel } }
        let kernel = needsKernel ? try RelayKernelLease.acquire(pinRoot: pinRoot, logger: logger) : nil
        defer { kernel?.release() }
        let workerCount = config.workers
        let shared = RelayShared(workers: workerCount, kernelObjects: kernel?.objects)
        let workers = try (0..<workerCount).map { index in
            try Worker(index: index, config: config, shared: shared, logger: logger)
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
        logger.notice("relay started", metadata: [
            "workers": "\(workerCount)",
            "listeners": "\(config.listeners.map { $0.listen.description })",
            "kernel": "\(kernel?.objects.pinDirectory ?? "off")",
        ])
        ready?()
        var running = workerCount
        while running > 0 {
            if stopSignal != 0 && !shared.stopRequested {
                logger.notice("stopping: no new connections, in-flight exchanges finish within the grace period")
                shared.requestStop()
            }
            if finished.wait(timeout: .now() + 0.25) == .success { running -= 1 }
            kernel?.publish(shared.totals)
        }
        logger.notice("relay stopped")
    }
}

/// The kernel objects a relay uses and how to give them back when it exits.
///
/// With a prior `attach` the relay shares the pinned set (hooking its own cgroup too when the
/// attached ones do not cover it); without one it loads a private set under
/// `<pin root>/relay-<pid>` and removes it at exit. A relay killed with SIGKILL leaves that
/// set behind, where `status` shows it and `detach` removes it.
struct RelayKernelLease {
    let objects: KernelObjects
    private let cleanup: () -> Void

    static func acquire(pinRoot: String, logger: Logger) throws(KernelError) -> RelayKernelLease {
        let cgroup = try Filesystems.ownCgroupDirectory()
        let pid = UInt32(getpid())
        if KernelObjects.isPinned(at: pinRoot) {
            let objects = try KernelObjects.open(pinDirectory: pinRoot)
            if covered(cgroup, by: objects) {
                return RelayKernelLease(objects: objects) { objects.relays.delete(pid) }
            }
            let outcome = try CgroupAttachment.attach(objects, cgroupPath: cgroup, ownerPID: pid)
            logger.notice("hooked the relay's own cgroup in the shared pin set", metadata: ["cgroup": "\(cgroup)"])
            return RelayKernelLease(objects: objects) {
                if case let .attached(id) = outcome { CgroupAttachment.detach(objects, cgroupID: id) }
                objects.relays.delete(pid)
            }
        }
        let directory = SystemStatus.relayPinDirectory(pinRoot: pinRoot, pid: Int32(pid))
        try Filesystems.preparePinDirectory(pinRoot)
        let objects = try KernelObjects.openOrLoad(pinDirectory: directory)
        _ = try CgroupAttachment.attach(objects, cgroupPath: cgroup, ownerPID: pid)
        return RelayKernelLease(objects: objects) {
            _ = try? CgroupAttachment.detachAll(pinDirectory: directory)
            // The root stays when other relays or an attach still use it.
            rmdir(pinRoot)
        }
    }

    private init(objects: KernelObjects, cleanup: @escaping () -> Void) {
        self.objects = objects
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
        try? objects.relays.update(UInt32(getpid()), counters.mapValue(updatedNanoseconds: UInt64(Date().timeIntervalSince1970 * 1e9)))
    }

    func release() {
        cleanup()
    }
}
