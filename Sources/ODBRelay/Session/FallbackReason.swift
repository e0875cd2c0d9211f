/// Why a body (or a connection) does not take the path its route's mode prefers.
///
/// Each reason counts in at most one of the `fallbacks` counters (docs/OPERATIONS.md,
/// `odb_fallbacks_total`); the others are downgrades every mode allows without counting.
enum FallbackReason: Equatable {
    /// Shorter than the route's `kernel_min_body`.
    case smallBody
    /// A connection that opened with a protocol the relay does not parse (HTTP/2's preface).
    case unparsed
    /// A kernel-mode route's body the kernel did not take: a window it refused, or a response
    /// read until close on a route that puts bodies of unknown length in user space.
    case unsupported(KernelPathUnavailable?)
    /// The kernel failed the startup self-test, so the kernel path is off.
    case kernelSelfTest
    /// Forced socket buffers reached `limits.kernel_buffer_memory`.
    case bufferMemory
    /// The source is in the verdict map, whose psock queue splice(2) does not read.
    case sourceInVerdictMap
    /// No pipe splice(2) could use.
    case noSplicePipe(SplicePipe.Unavailable)
    /// User space holds bytes of the body, or none are left: a window would have nothing to take.
    case nothingForAWindow
    /// The source's or the target's peer closed or reset the connection before the window
    /// opened; the copy that takes over ends as that close says.
    case peerClosed
}

extension Worker {
    /// Adds one fallback to this worker's counters.
    func countFallback(_ reason: FallbackReason) {
        switch reason {
        case .smallBody: stats.fallbacksSmallBody += 1
        case .unparsed: stats.fallbacksUnparsed += 1
        case let .unsupported(refusal):
            stats.fallbacksUnsupported += 1
            if let refusal { logger.debug("kernel path unavailable, copying", metadata: ["reason": "\(refusal)"]) }
        case .kernelSelfTest: stats.fallbacksKernelSelfTest += 1
        case .bufferMemory: bufferMemoryCapReached()
        case let .noSplicePipe(cause): splicePipeUnavailable(cause)
        case .sourceInVerdictMap, .nothingForAWindow, .peerClosed: break
        }
    }
}
