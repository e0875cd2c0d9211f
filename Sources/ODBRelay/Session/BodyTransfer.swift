import ODBHTTP

/// One message body (or one direction of a tunnel) moving from `source` to `target`.
///
/// The framing says where the body ends; the mover says how its bytes travel. Bytes user space
/// already holds always go first through `target.outbound`, then the mover takes over.
final class BodyTransfer {
    enum Framing {
        case length(remaining: UInt64)
        case chunked(ChunkedScanner)
        case untilClose
    }

    /// Raw values are the names the access log gives.
    enum Path: String {
        case copy
        case splice
        case kernel
    }

    /// Bytes each path carried: three counters in the body itself, so counting allocates nothing.
    struct PathBytes {
        private var copy: UInt64 = 0
        private var splice: UInt64 = 0
        private var kernel: UInt64 = 0

        /// Nil for a path that carried no byte.
        subscript(path: Path) -> UInt64? {
            let count = switch path {
            case .copy: copy
            case .splice: splice
            case .kernel: kernel
            }
            return count > 0 ? count : nil
        }

        mutating func add(_ count: UInt64, _ path: Path) {
            switch path {
            case .copy: copy += count
            case .splice: splice += count
            case .kernel: kernel += count
            }
        }

        var total: UInt64 { copy + splice + kernel }

        /// The path that carried most bytes; nil when none moved.
        var largest: Path? {
            guard total > 0 else { return nil }
            if kernel >= splice && kernel >= copy { return .kernel }
            return splice >= copy ? .splice : .copy
        }
    }

    enum Outcome: Equatable {
        case progressing
        case finished
        /// The source ended before the framing said the body was complete.
        case truncated
        case failed(BodyFailure)
    }

    let source: SocketChannel
    let target: SocketChannel
    var framing: Framing
    private(set) var mover: BodyMover
    private let movers: BodyMovers
    /// The kernel window open for this body, if any.
    var window: KernelWindow?
    private(set) var bytesByPath = PathBytes()
    /// The target's write side was shut down after this body (a tunnel direction that ended).
    var targetShutDown = false
    /// Its bytes are in the relay's counters.
    var accounted = false
    private(set) var outcome: Outcome = .progressing

    init(source: SocketChannel, target: SocketChannel, framing: Framing, path: Path, movers: BodyMovers) {
        self.source = source
        self.target = target
        self.framing = framing
        self.movers = movers
        mover = movers.make(path)
    }

    /// The same body, not yet started, sent to another target (a retried upstream connection).
    func retargeted(to target: SocketChannel) -> BodyTransfer {
        BodyTransfer(source: source, target: target, framing: framing, path: path, movers: movers)
    }

    var path: Path { mover.path }

    var remainingLength: UInt64? {
        if case let .length(remaining) = framing { return remaining }
        return nil
    }

    var isFinished: Bool { outcome != .progressing }

    var bytesMoved: UInt64 { bytesByPath.total }

    /// The path that carried most of the body.
    var mainPath: Path? { bytesByPath.largest }

    /// Sets the outcome once; later outcomes do not replace the first.
    func end(_ outcome: Outcome) {
        if self.outcome == .progressing { self.outcome = outcome }
    }

    /// Moves buffered bytes, then lets the mover move what the sockets allow.
    /// - Returns: true when anything moved or the body changed path or outcome.
    func pump() -> Bool {
        let progressed = forwardBuffered()
        guard !isFinished else { return true }
        switch mover.move(self) {
        case let .moved(moved):
            return moved || progressed
        case let .fallBack(path, reason):
            fallBack(to: path, reason: reason)
            return true
        }
    }

    /// The one way a body leaves the path it started on: counted by reason.
    func fallBack(to path: Path, reason: FallbackReason) {
        mover = movers.make(path)
        movers.count(reason)
    }

    /// Moves the body bytes already read into `source.inbound` to `target.outbound`.
    /// - Returns: true when it moved anything.
    func forwardBuffered() -> Bool {
        guard outcome == .progressing, !source.inbound.isEmpty else { return false }
        let available = source.inbound.count
        switch framing {
        case let .length(remaining):
            let count = Int(min(UInt64(available), remaining))
            source.inbound.move(count, to: target.outbound)
            record(count, .copy)
            framing = .length(remaining: remaining - UInt64(count))
            if remaining == UInt64(count) { outcome = .finished }
        case var .chunked(scanner):
            let step = source.inbound.withUnsafeBytes { scanner.scan($0) }
            framing = .chunked(scanner)
            switch step {
            case let .invalid(error):
                outcome = .failed(.invalidChunked(error))
                return false
            case .needMore:
                source.inbound.move(available, to: target.outbound)
                record(available, .copy)
            case let .complete(consumed):
                source.inbound.move(consumed, to: target.outbound)
                record(consumed, .copy)
                outcome = .finished
            }
        case .untilClose:
            source.inbound.move(available, to: target.outbound)
            record(available, .copy)
        }
        return true
    }

    /// The source reached end of stream: complete where the framing allows it.
    func endOfSource() {
        switch framing {
        case .untilClose, .length(0):
            end(.finished)
        default:
            end(.truncated)
        }
    }

    func record(_ count: Int, _ path: Path) {
        guard count > 0 else { return }
        bytesByPath.add(UInt64(count), path)
    }

    /// Called when a kernel window is over; a chunked body goes on with its next chunk.
    func kernelEnded(_ ending: KernelWindow.Ending, redirected: UInt64, forwarded: UInt64) {
        window = nil
        record(Int(redirected), .kernel)
        record(Int(forwarded), .copy)
        let moved = redirected + forwarded
        switch (ending, framing) {
        case let (.complete, .length(remaining)):
            framing = .length(remaining: remaining - min(remaining, moved))
            if remaining <= moved { end(.finished) }
        case (.complete, var .chunked(scanner)):
            // The window ended where some chunk's data ends (the verdict may have walked past
            // more chunk-size lines); the relay's parser reads on from the CRLF after it.
            scanner.skipData(scanner.dataRemainingInChunk)
            framing = .chunked(scanner)
        case (.complete, .untilClose), (.sourceClosed, .untilClose):
            end(.finished)
        case (.sourceClosed, _):
            end(.truncated)
        case (.targetGone, _):
            end(.failed(.targetGone))
        case (.failed, _):
            end(.failed(.kernelRefused))
        }
    }
}
