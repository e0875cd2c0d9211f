import Glibc
import ODBHTTP

/// One message body (or one direction of a tunnel) moving from `source` to `target`.
///
/// The framing says where the body ends; the path says how its bytes travel. Bytes user space
/// already holds always go first through `target.outbound`, then the chosen path takes over.
final class BodyTransfer {
    enum Framing {
        case length(remaining: UInt64)
        case chunked(ChunkedScanner)
        case untilClose
    }

    enum Path: Equatable {
        case copy
        case splice
        case kernel
    }

    enum Outcome: Equatable {
        case progressing
        case finished
        /// The source ended before the framing said the body was complete.
        case truncated
        case failed(String)
    }

    let source: SocketChannel
    let target: SocketChannel
    var framing: Framing
    var path: Path
    var pipe: SplicePipe?
    var flow: KernelFlow?
    var bytesByPath: [Path: UInt64] = [:]
    /// The target's write side was shut down after this body (a tunnel direction that ended).
    var targetShutDown = false
    /// Its bytes are in the relay's counters.
    var accounted = false
    private(set) var outcome: Outcome = .progressing
    /// Most user-space bytes queued on the target before the source stops being read.
    static let outboundHighWater = 512 * 1024

    init(source: SocketChannel, target: SocketChannel, framing: Framing, path: Path) {
        self.source = source
        self.target = target
        self.framing = framing
        self.path = path
    }

    var remainingLength: UInt64? {
        if case let .length(remaining) = framing { return remaining }
        return nil
    }

    var isFinished: Bool { outcome != .progressing }

    func fail(_ outcome: Outcome) {
        if self.outcome == .progressing { self.outcome = outcome }
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
                outcome = .failed("chunked body: \(error)")
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

    /// Reads from the source and forwards in user space until the socket would block, or until
    /// `pause` says the rest can take another path.
    /// - Returns: true when anything moved or the outcome changed.
    func pumpCopy(pause: () -> Bool = { false }) -> Bool {
        var progressed = forwardBuffered()
        while outcome == .progressing && !pause() {
            if target.outbound.count >= Self.outboundHighWater {
                source.wantRead = false
                return progressed
            }
            if source.readClosed {
                endOfSource()
                return true
            }
            switch source.fill() {
            case .wouldBlock:
                source.wantRead = true
                return progressed
            case let .failed(code):
                outcome = .failed("reading: \(SystemError("recv", errno: code).description)")
                return true
            case .endOfStream:
                progressed = true
            case .bytes:
                progressed = forwardBuffered() || progressed
            }
        }
        return progressed
    }

    /// splice(2) through a pipe, for a length-framed body or a stream until close.
    func pumpSplice() -> Bool {
        guard let pipe else { return pumpCopy() }
        var progressed = false
        while outcome == .progressing {
            if pipe.buffered > 0 {
                switch pipe.drain(into: target.fd) {
                case let .moved(count):
                    target.recordDirectWrite(count)
                    record(count, .splice)
                    progressed = true
                    if pipe.buffered > 0 { continue }
                case .wouldBlock:
                    target.wantWrite = true
                    source.wantRead = false
                    return progressed
                case let .failed(code):
                    outcome = .failed("splicing out: \(SystemError("splice", errno: code).description)")
                    return true
                case .endOfStream:
                    return progressed
                }
            }
            target.wantWrite = false
            if case .length(0) = framing {
                outcome = .finished
                return true
            }
            let limit = remainingLength.map { Int(min($0, 1 << 20)) } ?? (1 << 20)
            switch pipe.fill(from: source.fd, limit: limit) {
            case let .moved(count):
                source.recordDirectRead(count)
                if let remaining = remainingLength { framing = .length(remaining: remaining - UInt64(count)) }
                progressed = true
            case .wouldBlock:
                source.wantRead = true
                return progressed
            case .endOfStream:
                source.readClosed = true
                endOfSource()
                return true
            case let .failed(code):
                outcome = .failed("splicing in: \(SystemError("splice", errno: code).description)")
                return true
            }
        }
        return progressed
    }

    private func endOfSource() {
        switch framing {
        case .untilClose:
            outcome = .finished
        case .length(0):
            outcome = .finished
        default:
            outcome = .truncated
        }
    }

    func record(_ count: Int, _ path: Path) {
        guard count > 0 else { return }
        bytesByPath[path, default: 0] += UInt64(count)
    }

    /// Called when a kernel window is over; a chunked body goes on with its next chunk.
    func kernelEnded(_ ending: KernelFlow.Ending, redirected: UInt64, forwarded: UInt64) {
        flow = nil
        record(Int(redirected), .kernel)
        record(Int(forwarded), .copy)
        let moved = redirected + forwarded
        switch (ending, framing) {
        case let (.complete, .length(remaining)):
            framing = .length(remaining: remaining - min(remaining, moved))
            if remaining <= moved { outcome = .finished }
        case (.complete, var .chunked(scanner)):
            // The window ended where some chunk's data ends (the verdict may have walked past
            // more chunk-size lines); the relay's parser reads on from the CRLF after it.
            scanner.skipData(scanner.dataRemainingInChunk)
            framing = .chunked(scanner)
        case (.complete, .untilClose), (.sourceClosed, .untilClose):
            outcome = .finished
        case (.sourceClosed, _):
            outcome = .truncated
        case (.targetGone, _):
            outcome = .failed("the receiving side closed during an in-kernel body")
        case (.failed, _):
            outcome = .failed("the kernel path could not start this body")
        }
    }
}
