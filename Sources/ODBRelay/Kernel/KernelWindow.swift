import ODBKernel

/// Told when a kernel window is over.
public protocol KernelWindowDelegate: AnyObject {
    func kernelWindowEnded(_ window: KernelWindow, _ ending: KernelWindow.Ending)
}

/// One window (`odb_window`) of a source's stream moving to `target` through the sk_skb
/// verdict: a body, the data of one chunk, or one direction of a tunnel.
///
/// Window bytes reach the target two ways: redirected by the verdict, or passed to the source's
/// own queue and forwarded by user space (at the window's end, over budget, or behind bytes
/// passed earlier). The verdict keeps the two in stream order; `forwarded` counts the second.
public final class KernelWindow {
    public enum Ending: Equatable {
        /// Every window byte reached the target's queues.
        case complete
        /// The target left the target map (it closed); the source must be closed too.
        case targetGone
        /// The source reached end of stream (before the end of a bounded window).
        case sourceClosed
        /// The verdict could not trim bytes already handed on from an skb, or user space could
        /// not consume forwarded bytes or pin a chunked window; the exchange cannot continue.
        case failed
    }

    /// The source's flow, held while the window is open (the flow holds the window until it
    /// ends), so that following the window needs no lookup by cookie.
    let flow: KernelFlow
    public var source: SocketChannel { flow.channel }
    public let target: SocketChannel
    var sourceCookie: UInt64 { flow.cookie }
    let targetCookie: UInt64
    /// Stream offset where the window ends (see `KernelFlow`), `WindowRecord.unbounded` for a
    /// tunnel direction or a body that ends when its source closes; moves on in a chunked window
    /// as the verdict checks chunk-size lines.
    var end: UInt64
    /// The window starts as one chunk's data; see `WindowRecord.chunked`.
    let chunked: Bool
    /// The most memory the source is given (`KernelPath.sizeSourceBuffer`).
    let fullSourceBuffer: SourceBuffer
    /// The verdict makes the window's skbs of several filled page fragments linear too
    /// (`SkbLinearising`).
    let linearise: Bool
    /// Most bytes the target may hold unacknowledged (its `DrainPacedBudget` as of the last
    /// forwarded burst; at the opening, room for the whole body instead when its known length is
    /// at most half the route's budget, `KernelPath.openingBudget`); passed bytes wait until it
    /// holds at most a quarter of it.
    var budget: UInt64
    /// How the verdict grows the budget while the reader keeps up; nil once the verdict found
    /// the target over it, and for a reader already paced at its ceiling.
    var slowStart: WindowRecord.SlowStart?
    /// Held strongly while the window is open and let go when it ends (`conclude`): a weak
    /// reference would give every delegate a side table, and each retain and release of an
    /// object with one takes the runtime's slow path.
    private(set) var delegate: KernelWindowDelegate?
    /// The flow's `redirected` total when the window opened.
    let redirectedBase: UInt64
    /// Bytes of this window redirected, as last read from the flow record.
    public internal(set) var redirected: UInt64 = 0
    /// Passed window bytes user space has written to the target.
    public internal(set) var forwarded: UInt64 = 0
    /// `target.backlogBytesQueued` before this window; redirected bytes are added to it.
    let targetBacklogBase: UInt64
    private(set) var ended = false
    /// Set when the source reported end of stream while the window was open.
    var sourceEOFSeen: Double?

    init(flow: KernelFlow, target: SocketChannel, targetCookie: UInt64, length: UInt64?, chunked: Bool,
         fullSourceBuffer: SourceBuffer, linearise: Bool, budget: UInt64, slowStart: WindowRecord.SlowStart?,
         delegate: KernelWindowDelegate) {
        self.flow = flow
        self.target = target
        self.targetCookie = targetCookie
        self.chunked = chunked
        self.fullSourceBuffer = fullSourceBuffer
        self.linearise = linearise
        end = length.map { flow.position + $0 } ?? WindowRecord.unbounded
        self.budget = budget
        self.slowStart = slowStart
        redirectedBase = flow.redirected
        self.delegate = delegate
        targetBacklogBase = target.backlogBytesQueued
    }

    /// Marks the window over and lets go of its delegate, which it returns for the one call
    /// that tells it (`KernelPath.finish`; a source leaving the map tells nobody).
    func conclude() -> KernelWindowDelegate? {
        ended = true
        defer { delegate = nil }
        return delegate
    }

    /// The window as the verdict reads it, opened now.
    var record: WindowRecord { record(flowRedirected: redirectedBase) }

    /// The window as the verdict reads it with the current budget, what the target holds now
    /// and the flow's `redirected` at this moment: at the opening, or once user space has
    /// forwarded passed bytes, which the target's count then includes.
    func record(flowRedirected: UInt64) -> WindowRecord {
        WindowRecord(sourceCookie: sourceCookie, targetCookie: targetCookie, end: end, highWatermark: budget,
                     targetBase: target.queuedTotal, redirectedBase: flowRedirected, chunked: chunked,
                     slowStart: slowStart, linearise: linearise)
    }

    /// The window pinned at its end: the verdict can neither walk on nor redirect past it.
    var pinnedRecord: WindowRecord {
        WindowRecord(sourceCookie: sourceCookie, targetCookie: targetCookie, end: end, highWatermark: 0,
                     targetBase: 0, redirectedBase: 0, chunked: false, linearise: linearise)
    }
}

/// Why a body could not take the kernel path; the relay then moves it in user space.
public enum KernelPathUnavailable: Error, Equatable {
    case targetNotTracked
    case windowStillOpen
    /// Bytes waiting ahead of a chunked window could not be covered by it.
    case lookaheadRefused
    /// The window's forced socket buffers would pass `limits.kernel_buffer_memory`.
    case bufferMemoryCap
    case sourceFailed
    /// The source or the target was no longer established when it was to join: its peer had
    /// closed or reset it, and the kernel's socket maps take established sockets only.
    case peerClosed
    case mapUpdateFailed(KernelError)
}
