import Logging
import ODBKernel

/// Logs when odb_socks was full for new sockets, at most once per interval and with the
/// count since the last message: an untracked socket's bodies are silently copied otherwise.
final class SocketTableWatch {
    static let interval = 10.0

    private let logger: Logger
    private var reported: UInt64 = 0
    private var log = LogThrottle(interval: SocketTableWatch.interval)

    init(logger: Logger) {
        self.logger = logger
    }

    /// `kernel` is the pin set's odb_counters, indexed by `odb_counter`.
    func observe(_ kernel: [UInt64], now: Double) {
        let slot = KernelCounter.socketsTableFull.slot
        guard slot < kernel.count, kernel[slot] > reported, log.allows(at: now) else { return }
        logger.warning("odb_socks is full: new sockets are not tracked, so their bodies are copied instead of redirected", metadata: [
            "sockets_missed": "\(kernel[slot] - reported)", "sockets_table_full": "\(kernel[slot])",
        ])
        reported = kernel[slot]
    }
}
