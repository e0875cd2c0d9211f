import ODBHTTP

/// Hands a body to the verdict program as kernel windows (`KernelPath.openWindow`), once user space
/// holds none of its bytes and the target holds no user-space bytes.
///
/// Bytes user space already read stay out of the window: the verdict trims the part of a partly
/// read skb that lies before the socket's copied_seq. A chunked body takes a window at a chunk of
/// at least the route's `minimumChunk`; the verdict walks plain chunk-size lines from there, and
/// what it hands back (and smaller chunks) this mover copies and parses.
final class KernelMover: BodyMover {
    let windows: BodyMovers.KernelWindows

    init(_ windows: BodyMovers.KernelWindows) {
        self.windows = windows
    }

    var path: BodyTransfer.Path { .kernel }

    func move(_ body: BodyTransfer) -> BodyMove {
        if body.window != nil { return .moved(false) }
        let length: UInt64?
        switch body.framing {
        case let .length(remaining):
            length = remaining
        case let .chunked(scanner):
            guard windowable(scanner, body) else {
                return .moved(CopyMover.copy(body) {
                    if case let .chunked(current) = body.framing { return windowable(current, body) }
                    return true
                })
            }
            length = scanner.dataRemainingInChunk
        case .untilClose:
            length = nil
        }
        guard body.target.flush() else {
            body.end(.failed(.writeFailed))
            return .moved(true)
        }
        guard body.target.outbound.isEmpty else {
            body.source.wantRead = false
            return .moved(false)
        }
        guard body.source.inbound.isEmpty, length != 0 else {
            return .fallBack(to: .copy, reason: .nothingForAWindow)
        }
        return startWindow(body, length: length)
    }

    private func windowable(_ scanner: ChunkedScanner, _ body: BodyTransfer) -> Bool {
        scanner.dataRemainingInChunk >= windows.minimumChunk && body.source.inbound.isEmpty
    }

    private func startWindow(_ body: BodyTransfer, length: UInt64?) -> BodyMove {
        var lookahead: ((UnsafeRawBufferPointer) -> UInt64?)?
        if case let .chunked(scanner) = body.framing {
            let minimum = windows.minimumChunk
            lookahead = { waiting in Self.chunkedWindowLength(scanner, waiting: waiting, minimum: minimum) }
        }
        do {
            body.window = try windows.path.openWindow(
                source: body.source, target: body.target, length: length, chunked: lookahead != nil,
                budget: windows.budget, sourceJoinsPerBody: windows.sourceJoinsPerBody, lookahead: lookahead,
                delegate: windows.delegate)
            body.source.wantRead = true
        } catch .bufferMemoryCap {
            return .fallBack(to: .copy, reason: .bufferMemory)
        } catch .peerClosed {
            return .fallBack(to: .copy, reason: .peerClosed)
        } catch .lookaheadRefused {
            // What waits ends in framing: copy one read's worth and look again.
            var reads = 0
            return .moved(CopyMover.copy(body) {
                defer { reads += 1 }
                return reads > 0
            })
        } catch {
            return .fallBack(to: .copy, reason: .unsupported(error))
        }
        return .moved(true)
    }

    /// How long a chunked window must be to cover `waiting` (bytes queued on the source) and end
    /// where a chunk's data ends; nil when `waiting` ends in framing, holds the body's end or an
    /// error, or the window would be short. Parsed by a copy of the body's scanner: the real one
    /// moves on only when the window is over.
    static func chunkedWindowLength(_ scanner: ChunkedScanner, waiting: UnsafeRawBufferPointer, minimum: UInt64) -> UInt64? {
        var ahead = scanner
        guard case let .needMore(dataRemainingInChunk: rest) = ahead.scan(waiting), rest > 0 else { return nil }
        let length = UInt64(waiting.count) + rest
        return length >= minimum ? length : nil
    }
}
