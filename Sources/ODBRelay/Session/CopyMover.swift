/// Moves a body through user space: recv into `source.inbound`, framed, then out of `target.outbound`.
final class CopyMover: BodyMover, Sendable {
    /// It holds no state, so every body copying shares this one.
    static let shared = CopyMover()
    /// Most user-space bytes queued on the target before the source stops being read.
    static let outboundHighWater = 512 * 1024

    private init() {}

    var path: BodyTransfer.Path { .copy }

    func move(_ body: BodyTransfer) -> BodyMove {
        .moved(Self.copy(body))
    }

    /// Reads from the source and forwards until the socket would block, or until `pause` says
    /// the rest can take another path.
    /// - Returns: true when anything moved or the outcome changed.
    static func copy(_ body: BodyTransfer, pause: () -> Bool = { false }) -> Bool {
        var progressed = body.forwardBuffered()
        while !body.isFinished && !pause() {
            if body.target.outbound.count >= outboundHighWater {
                body.source.wantRead = false
                return progressed
            }
            if body.source.readClosed {
                body.endOfSource()
                return true
            }
            switch body.source.fill() {
            case .wouldBlock:
                body.source.wantRead = true
                return progressed
            case let .failed(code):
                body.end(.failed(.readFailed(errno: code)))
                return true
            case .endOfStream:
                progressed = true
            case .bytes:
                progressed = body.forwardBuffered() || progressed
            }
        }
        return progressed
    }
}
