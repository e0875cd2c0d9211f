/// Moves a length-framed body or a stream until close with splice(2) through a pipe, never
/// through user memory.
final class SpliceMover: BodyMover {
    private let isVerdictSource: (SocketChannel) -> Bool
    private let pipes: SplicePipes
    private var pipe: SplicePipe?
    /// Most bytes spliced in one call.
    static let stepLimit = 1 << 20

    init(isVerdictSource: @escaping (SocketChannel) -> Bool, pipes: SplicePipes) {
        self.isVerdictSource = isVerdictSource
        self.pipes = pipes
    }

    deinit {
        if let pipe { pipes.giveBack(pipe) }
    }

    var path: BodyTransfer.Path { .splice }

    func move(_ body: BodyTransfer) -> BodyMove {
        // A socket in the verdict map delivers through its psock queue, which splice(2) does not read.
        if isVerdictSource(body.source) { return .fallBack(to: .copy, reason: .sourceInVerdictMap) }
        guard body.target.outbound.isEmpty else {
            body.source.wantRead = false
            return .moved(false)
        }
        if pipe == nil {
            do { pipe = try pipes.take() } catch { return .fallBack(to: .copy, reason: .noSplicePipe(error)) }
            SpliceMemory.open(body)
        }
        return .moved(splice(body, through: pipe!))
    }

    private func splice(_ body: BodyTransfer, through pipe: SplicePipe) -> Bool {
        var progressed = false
        while !body.isFinished {
            if pipe.buffered > 0 {
                switch pipe.drain(into: body.target.fd) {
                case let .moved(count):
                    body.target.recordDirectWrite(count)
                    body.record(count, .splice)
                    progressed = true
                    if pipe.buffered > 0 { continue }
                case .wouldBlock:
                    body.target.wantWrite = true
                    body.source.wantRead = false
                    return progressed
                case let .failed(code):
                    body.end(.failed(.spliceOutFailed(errno: code)))
                    return true
                case .endOfStream:
                    return progressed
                }
            }
            body.target.wantWrite = false
            if case .length(0) = body.framing {
                body.end(.finished)
                return true
            }
            let limit = body.remainingLength.map { Int(min($0, UInt64(Self.stepLimit))) } ?? Self.stepLimit
            switch pipe.fill(from: body.source.fd, limit: limit) {
            case let .moved(count):
                body.source.recordDirectRead(count)
                if let remaining = body.remainingLength { body.framing = .length(remaining: remaining - UInt64(count)) }
                progressed = true
            case .wouldBlock:
                SpliceMemory.sourceRanDry(body)
                body.source.wantRead = true
                return progressed
            case .endOfStream:
                body.source.readClosed = true
                body.endOfSource()
                return true
            case let .failed(code):
                body.end(.failed(.spliceInFailed(errno: code)))
                return true
            }
        }
        return progressed
    }
}
