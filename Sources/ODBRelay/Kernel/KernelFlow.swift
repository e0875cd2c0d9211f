import OdbShared

/// Told when a kernel flow is over.
public protocol KernelFlowDelegate: AnyObject {
    func kernelFlowEnded(_ flow: KernelFlow, _ ending: KernelFlow.Ending)
}

/// One window of a source's stream moving to `target` through the sk_skb verdict: a body, the
/// data of one chunk, or one direction of a tunnel.
///
/// Window bytes reach the target two ways: redirected by the verdict, or passed to the source's
/// own queue and forwarded by user space (at the window's end, over budget, or behind bytes
/// passed earlier). The verdict keeps the two in stream order; `forwarded` counts the second.
public final class KernelFlow {
    public enum Ending: Equatable {
        /// Every window byte reached the target's queues.
        case complete
        /// The target left the target map (it closed); the source must be closed too.
        case targetGone
        /// The source reached end of stream (before the end of a bounded window).
        case sourceClosed
        /// The verdict could not cut an skb at the flow's start; the exchange cannot continue.
        case failed
    }

    public let source: SocketChannel
    public let target: SocketChannel
    /// Stream offsets of the window (see `odb_flow`); `end` is `ODB_WINDOW_UNBOUNDED` for a tunnel.
    let start: UInt64
    /// Moves on in a chunked window as the verdict checks chunk-size lines.
    var end: UInt64
    /// The window starts as one chunk's data; see `odb_window.chunked`.
    let chunked: Bool
    /// Most bytes the target may hold unacknowledged; passed bytes wait until it is half empty.
    let budget: UInt64
    weak var delegate: KernelFlowDelegate?
    /// The source's `redirected` total when the window opened.
    let redirectedBase: UInt64
    /// Bytes of this window redirected, as last read from the flow map.
    public internal(set) var redirected: UInt64 = 0
    /// Passed window bytes user space has written to the target.
    public internal(set) var forwarded: UInt64 = 0
    /// `target.kernelBytesQueued` before this window; redirected bytes are added to it.
    let targetKernelBase: UInt64
    var ended = false
    /// Set when the source reported end of stream while the window was open.
    var sourceEOFSeen: Double?

    init(source: SocketChannel, target: SocketChannel, start: UInt64, length: UInt64?, chunked: Bool, budget: UInt64,
         redirectedBase: UInt64, delegate: KernelFlowDelegate) {
        self.source = source
        self.target = target
        self.start = start
        self.chunked = chunked
        end = length.map { start + $0 } ?? ODB_WINDOW_UNBOUNDED
        self.budget = budget
        self.redirectedBase = redirectedBase
        self.delegate = delegate
        targetKernelBase = target.kernelBytesQueued
    }

    var isUnbounded: Bool { end == ODB_WINDOW_UNBOUNDED }
}

/// A socket in the verdict map and how far its stream has got.
///
/// Stream offsets count from the moment it joined: what user space read since then plus what
/// the verdict redirected is exactly the offset of the next byte user space will read.
final class KernelSource {
    let channel: SocketChannel
    /// `channel.bytesRead` when the socket joined the verdict map.
    let readBase: UInt64
    /// From the flow map, as last read.
    var redirected: UInt64 = 0
    var handled: UInt64 = 0
    /// The open window, if any; windows of one source follow each other, never overlap.
    var flow: KernelFlow?

    init(channel: SocketChannel) {
        self.channel = channel
        readBase = channel.bytesRead
    }

    /// Offset of the next byte user space reads.
    var position: UInt64 { channel.bytesRead - readBase + redirected }
    /// Bytes the verdict passed that user space has not read yet.
    var unread: UInt64 { handled > position ? handled - position : 0 }
}

/// Why a body could not take the kernel path; the relay then moves it in user space.
public enum KernelPathUnavailable: Error, Equatable {
    case targetNotTracked
    case sourceAlreadyInMap
    case windowStillOpen
    /// Bytes waiting ahead of a chunked window could not be covered by it.
    case lookaheadRefused
    /// The flow's forced socket buffers would pass `limits.kernel_buffer_memory`.
    case bufferMemoryCap
    case sourceFailed
    case mapUpdateFailed(String)
}
