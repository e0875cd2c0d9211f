import OdbShared

/// Told when a kernel flow is over.
public protocol KernelFlowDelegate: AnyObject {
    func kernelFlowEnded(_ flow: KernelFlow, _ ending: KernelFlow.Ending)
}

/// One body moving from `source` to `target` through the sk_skb verdict.
///
/// Body bytes reach the target two ways: redirected by the verdict, or passed to the source's
/// own queue and forwarded by user space (at the body's end, over budget, or behind bytes
/// passed earlier). The verdict keeps the two in stream order; `forwarded` counts the second.
public final class KernelFlow {
    public enum Ending: Equatable {
        /// Every body byte reached the target's queues.
        case complete
        /// The target left the target map (it closed); the source must be closed too.
        case targetGone
        /// The source closed before the body was complete.
        case sourceClosed
        /// The verdict could not cut an skb at the flow's start; the exchange cannot continue.
        case failed
    }

    public let source: SocketChannel
    public let target: SocketChannel
    /// Most bytes the target may hold unacknowledged; passed bytes wait until it is half empty.
    let budget: UInt64
    weak var delegate: KernelFlowDelegate?
    /// Bytes redirected, as last read from the flow map.
    public internal(set) var redirected: UInt64 = 0
    /// Body bytes passed by the verdict, as last read from the flow map.
    var passed: UInt64 = 0
    /// Passed body bytes user space has written to the target.
    public internal(set) var forwarded: UInt64 = 0
    /// `target.kernelBytesQueued` before this flow; redirected bytes are added to it.
    let targetKernelBase: UInt64
    var verdictDone = false
    var ended = false
    /// Set when the source reported end of stream while the flow was active.
    var sourceEOFSeen: Double?

    init(source: SocketChannel, target: SocketChannel, budget: UInt64, delegate: KernelFlowDelegate) {
        self.source = source
        self.target = target
        self.budget = budget
        self.delegate = delegate
        targetKernelBase = target.kernelBytesQueued
    }
}

/// Why a body could not take the kernel path; the relay then moves it in user space.
public enum KernelPathUnavailable: Error, Equatable {
    case targetNotTracked
    case sourceAlreadyInMap
    case mapUpdateFailed(String)
}
