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

/// Makes the mover for each path of one exchange's bodies, and counts every fallback.
struct BodyMovers {
    /// Nil where the relay has no kernel path; `PathPolicy` then never chooses `.kernel`.
    let kernel: KernelMover?
    /// Whether a socket is in the verdict map, whose psock queue splice(2) cannot read.
    let isVerdictSource: (SocketChannel) -> Bool
    let count: (FallbackReason) -> Void

    init(kernel: KernelMover?, count: @escaping (FallbackReason) -> Void) {
        self.init(kernel: kernel, isVerdictSource: { kernel?.kernel.isSource($0) == true }, count: count)
    }

    init(kernel: KernelMover?, isVerdictSource: @escaping (SocketChannel) -> Bool,
         count: @escaping (FallbackReason) -> Void) {
        self.kernel = kernel
        self.isVerdictSource = isVerdictSource
        self.count = count
    }

    func make(_ path: BodyTransfer.Path) -> BodyMover {
        switch path {
        case .copy: return CopyMover()
        case .splice: return SpliceMover(isVerdictSource: isVerdictSource)
        case .kernel: return kernel ?? CopyMover()
        }
    }
}
