/// One way of moving a body's bytes from its source socket to its target socket.
///
/// `BodyTransfer.pump` forwards what user space already read, then asks its mover for the rest.
/// A mover that cannot go on asks to fall back, and the transfer switches and counts the reason.
protocol BodyMover: AnyObject {
    var path: BodyTransfer.Path { get }
    func move(_ body: BodyTransfer) -> BodyMove
}

enum BodyMove: Equatable {
    /// True when any byte moved or the body's outcome changed.
    case moved(Bool)
    case fallBack(to: BodyTransfer.Path, reason: FallbackReason)
}

/// Makes the mover for each path of one exchange's bodies, and counts every fallback. A mover
/// is made only when a body takes its path; the copy mover holds no state and is shared.
struct BodyMovers {
    /// The kernel path and the route's thresholds for its windows; nil where the relay has no
    /// kernel path (`PathPolicy` then never chooses `.kernel`) or the body starts on another
    /// path (a body only ever falls back to copying).
    let kernel: KernelWindows?
    /// Whether a socket is in the verdict map, whose psock queue splice(2) cannot read.
    let isVerdictSource: (SocketChannel) -> Bool
    let splicePipes: SplicePipes
    let count: (FallbackReason) -> Void

    /// What a kernel mover needs: the worker's kernel path, one route's thresholds, and whether
    /// the body's source joins the verdict map anew for each body (`KernelPath.openWindow`).
    struct KernelWindows {
        let path: KernelPath
        /// The route's `kernel_min_body`: the smallest chunk a chunked body opens a window at.
        let minimumChunk: UInt64
        /// The route's flow budget: unacknowledged target bytes before the verdict passes to user space.
        let budget: UInt64
        let sourceJoinsPerBody: Bool
        unowned let delegate: KernelWindowDelegate
    }

    init(kernel: KernelWindows?, isVerdictSource: @escaping (SocketChannel) -> Bool, splicePipes: SplicePipes,
         count: @escaping (FallbackReason) -> Void) {
        self.kernel = kernel
        self.isVerdictSource = isVerdictSource
        self.splicePipes = splicePipes
        self.count = count
    }

    func make(_ path: BodyTransfer.Path) -> BodyMover {
        switch path {
        case .copy:
            return CopyMover.shared
        case .splice:
            return SpliceMover(isVerdictSource: isVerdictSource, pipes: splicePipes)
        case .kernel:
            guard let kernel else { return CopyMover.shared }
            return KernelMover(kernel)
        }
    }
}
