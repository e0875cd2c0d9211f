import Foundation

/// Samples memory in the background while a load runs and keeps the extremes.
///
/// Peaks between two samples are missed, so the interval is short (50 ms by default); every
/// sample reads a few small /proc files, well under a millisecond of CPU.
public final class ResourceSampler: @unchecked Sendable {
    /// The extremes seen between `start()` and `stop()`.
    public struct Peaks: Sendable, Equatable {
        /// Largest sum of VmRSS over the watched processes, in KiB.
        public var residentKiB: Int = 0
        /// Smallest MemAvailable seen, in KiB.
        public var minMemAvailableKiB: Int = .max
        /// Largest TCP memory in pages.
        public var tcpMemoryPages: Int = 0
    }

    private let pids: [Int32]
    private let interval: Double
    private let lock = NSLock()
    private var peaks = Peaks()
    private var running = true
    private let finished = DispatchSemaphore(value: 0)

    /// Starts sampling `pids` (their RSS is summed) and the machine.
    public init(pids: [Int32], interval: Double = 0.05) {
        self.pids = pids
        self.interval = interval
        sample()
        Thread.detachNewThread { [self] in
            while isRunning {
                Thread.sleep(forTimeInterval: interval)
                sample()
            }
            finished.signal()
        }
    }

    private var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    private func sample() {
        let resident = pids.reduce(0) { $0 + (ProcFS.residentKiB(pid: $1) ?? 0) }
        let available = ProcFS.memAvailableKiB()
        let tcp = ProcFS.tcpMemoryPages()
        lock.lock()
        defer { lock.unlock() }
        peaks.residentKiB = max(peaks.residentKiB, resident)
        if let available { peaks.minMemAvailableKiB = min(peaks.minMemAvailableKiB, available) }
        if let tcp { peaks.tcpMemoryPages = max(peaks.tcpMemoryPages, tcp) }
    }

    /// Takes a last sample, stops the thread and returns the extremes.
    public func stop() -> Peaks {
        lock.lock()
        running = false
        lock.unlock()
        finished.wait()
        sample()
        lock.lock()
        defer { lock.unlock() }
        return peaks
    }
}

/// CPU seconds of a set of processes and of the machine, between two instants.
public struct CPUSnapshot: Sendable {
    public let processSeconds: Double
    let machineIdleSeconds: Double
    let cpus: Int
    /// Monotonic clock, seconds.
    let wallSeconds: Double
    /// CPU seconds so far of every user-space process outside the bench's process tree.
    let otherProcesses: [Int32: Double]

    /// Reads utime+stime of `pids` (summed), the machine's idle time, and what processes
    /// outside the bench's own tree (origin, intermediates, load generator) used, now.
    public static func take(pids: [Int32]) -> CPUSnapshot {
        let others = ProcFS.otherProcessesCPUSeconds(excluding: Set(ProcFS.processTree(root: getpid())))
        let idle = ProcFS.machineIdle()
        return CPUSnapshot(
            processSeconds: pids.reduce(0) { $0 + (ProcFS.processCPUSeconds(pid: $1) ?? 0) },
            machineIdleSeconds: idle?.seconds ?? 0,
            cpus: idle?.cpus ?? 1,
            wallSeconds: monotonicSeconds(),
            otherProcesses: others
        )
    }

    /// CPU used since `earlier`.
    public func since(_ earlier: CPUSnapshot) -> CPUUsage {
        let wall = wallSeconds - earlier.wallSeconds
        let busy = max(0, wall * Double(cpus) - (machineIdleSeconds - earlier.machineIdleSeconds))
        // A process that started in between counts from zero. One that ended was reaped by a
        // parent, whose cutime rose by the child's whole life: its time before counts off.
        let grown = otherProcesses.reduce(0) { $0 + $1.value - (earlier.otherProcesses[$1.key] ?? 0) }
        let ended = earlier.otherProcesses.reduce(0) { $0 + (otherProcesses[$1.key] == nil ? $1.value : 0) }
        let others = max(0, grown - ended)
        return CPUUsage(
            processSeconds: processSeconds - earlier.processSeconds,
            machineBusySeconds: busy,
            topologySeconds: max(0, busy - others),
            wallSeconds: wall
        )
    }
}

/// CPU used between two snapshots.
public struct CPUUsage: Sendable {
    /// utime+stime of the processes sampled.
    public let processSeconds: Double
    /// Every CPU's time not spent idle, in iowait or stolen: user, system, irq, softirq, kworkers.
    public let machineBusySeconds: Double
    /// Machine busy time less what user processes outside the bench's tree used: the cost of
    /// the measured topology (load generator, origin, intermediates, and the kernel's work for
    /// them) on a machine that others share.
    public let topologySeconds: Double
    public let wallSeconds: Double
}
