import ODBConfig

/// The path a body starts on, and the fallback that choice counts, if any.
struct PathDecision: Equatable {
    let path: BodyTransfer.Path
    let fallback: FallbackReason?

    init(_ path: BodyTransfer.Path, counting fallback: FallbackReason? = nil) {
        self.path = path
        self.fallback = fallback
    }
}

/// Decides each body's path from the route's mode and thresholds, the body's framing and
/// length, and whether this relay has a kernel path (docs/DESIGN.md, "Modes and how `auto`
/// decides").
struct PathPolicy: Equatable {
    /// What the policy knows of a body before its first byte moves.
    enum Body: Equatable {
        case length(UInt64)
        case chunked
        /// A response read until the upstream closes.
        case untilClose
        /// One direction of a connection that became a byte stream (Upgrade, CONNECT).
        case tunnel
    }

    let mode: RelayMode
    let kernelMinBody: UInt64
    let autoSpliceMinBody: UInt64
    let autoLocalSpliceMinBody: UInt64
    let autoMinBody: UInt64
    let kernelMaxBody: UInt64
    let kernelAvailable: Bool
    let kernelSelfTestFailed: Bool

    init(mode: RelayMode, kernelMinBody: UInt64, autoSpliceMinBody: UInt64, autoLocalSpliceMinBody: UInt64, autoMinBody: UInt64,
         kernelMaxBody: UInt64, kernelAvailable: Bool, kernelSelfTestFailed: Bool) {
        self.mode = mode
        self.kernelMinBody = kernelMinBody
        self.autoSpliceMinBody = autoSpliceMinBody
        self.autoLocalSpliceMinBody = autoLocalSpliceMinBody
        self.autoMinBody = autoMinBody
        self.kernelMaxBody = kernelMaxBody
        self.kernelAvailable = kernelAvailable
        self.kernelSelfTestFailed = kernelSelfTestFailed
    }

    init(route: RouteConfig, kernelAvailable: Bool, kernelSelfTestFailed: Bool) {
        self.init(mode: route.mode, kernelMinBody: UInt64(route.kernelMinBody), autoSpliceMinBody: UInt64(route.autoSpliceMinBody),
                  autoLocalSpliceMinBody: UInt64(route.autoLocalSpliceMinBody), autoMinBody: UInt64(route.autoMinBody),
                  kernelMaxBody: UInt64(route.kernelMaxBody), kernelAvailable: kernelAvailable, kernelSelfTestFailed: kernelSelfTestFailed)
    }

    /// `localEndpointReceives`: the body's reader is a client or an upstream on this host, not a
    /// peer relay; asked only of a body auto would splice.
    func decide(_ body: Body, localEndpointReceives: @autoclosure () -> Bool) -> PathDecision {
        let decision = decide(body, mode: mode, localEndpointReceives: localEndpointReceives)
        // `status` `fallbacks` `unsupported` (odb_fallbacks_total{reason="unsupported"}) counts
        // bodies a route that would use the kernel keeps out of it (docs/OPERATIONS.md); a copy
        // or splice route never meant to use it.
        if body == .untilClose, mode == .kernel || mode == .auto, decision.path != .kernel, decision.fallback == nil {
            return PathDecision(decision.path, counting: .unsupported(nil))
        }
        return decision
    }

    private func decide(_ body: Body, mode: RelayMode, localEndpointReceives: () -> Bool) -> PathDecision {
        var length: UInt64? {
            if case let .length(value) = body { return value }
            return nil
        }
        switch mode {
        case .copy:
            return PathDecision(.copy)
        case .splice:
            // splice(2) cannot follow chunk framing.
            return PathDecision(body == .chunked ? .copy : .splice)
        case .kernel:
            if let length, length < kernelMinBody { return PathDecision(.copy, counting: .smallBody) }
            guard kernelAvailable else {
                return PathDecision(body == .chunked ? .copy : .splice, counting: kernelSelfTestFailed ? .kernelSelfTest : nil)
            }
            return PathDecision(.kernel)
        case .auto:
            // A body of unknown length (chunked, until close, a tunnel) is copied too: the relay
            // cannot tell a large one in advance, and large ones measured several times slower
            // in the kernel (docs/CHUNKED.md: 24 chunked bodies of 25.7 MB, 75 against 398 MB/s).
            // The kernel band runs from `auto_min_body`, never below `kernel_min_body`, to
            // `kernel_max_body`; outside it splice from `auto_splice_min_body` on, or from
            // `auto_local_splice_min_body` on where a client or an upstream on this host reads
            // it: spliced skbs handed straight to a local endpoint keep its receive window small.
            // A peer relay, reading a claim or the answer to its request, is no such endpoint: the
            // chain costs less when it gets the body spliced (docs/PERFORMANCE.md §4). Auto's
            // choices count nothing, except a copy under `kernel_min_body`, counted as kernel mode
            // counts it.
            guard let length else { return PathDecision(.copy) }
            if length >= max(kernelMinBody, autoMinBody) && length <= kernelMaxBody {
                return decide(body, mode: .kernel, localEndpointReceives: localEndpointReceives)
            }
            if length >= autoSpliceMinBody && (length >= autoLocalSpliceMinBody || !localEndpointReceives()) {
                return PathDecision(.splice)
            }
            return PathDecision(.copy, counting: length < kernelMinBody ? .smallBody : nil)
        }
    }
}
