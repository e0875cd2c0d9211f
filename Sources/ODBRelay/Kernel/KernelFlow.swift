import OdbShared

/// Told when a kernel flow hands its source back to user space.
public protocol KernelFlowDelegate: AnyObject {
    func kernelFlowEnded(_ flow: KernelFlow, _ ending: KernelFlow.Ending)
}

/// One body moving from `source` to `target` through the sk_skb verdict.
public final class KernelFlow {
    public enum Ending: Equatable {
        /// Every byte of the body was redirected.
        case complete
        /// The verdict passed an skb and handed the body's last `remaining` bytes back to user
        /// space: the body ended inside that skb, or the target went over its budget.
        case tail(remaining: UInt64, overBudget: Bool)
        /// The target left the target map (it closed); the source must be closed too.
        case targetGone
        /// The source closed before the body was complete.
        case sourceClosed
        /// The verdict could not cut an skb at the flow's start; the exchange cannot continue.
        case failed
    }

    public let source: SocketChannel
    public let target: SocketChannel
    public let length: UInt64
    weak var delegate: KernelFlowDelegate?
    /// Bytes redirected, as last read from the flow map.
    public internal(set) var redirected: UInt64 = 0
    var ended = false
    /// Set when the source reported end of stream while the flow was active.
    var sourceEOFSeen: Double?

    init(source: SocketChannel, target: SocketChannel, length: UInt64, delegate: KernelFlowDelegate) {
        self.source = source
        self.target = target
        self.length = length
        self.delegate = delegate
    }
}

/// Why a body could not take the kernel path; the relay then moves it in user space.
public enum KernelPathUnavailable: Error, Equatable {
    case targetNotTracked
    case sourceAlreadyInMap
    case mapUpdateFailed(String)
}
