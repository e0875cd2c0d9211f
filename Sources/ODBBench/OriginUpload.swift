import ODBHTTP

/// What the built-in origin found in an upload's body (`POST …/upload`): the pattern's first
/// bytes in order, or the first offset where the data differs, or framing it cannot walk.
enum UploadCheck: Equatable {
    case exact(bytes: Int)
    case differs(at: Int)
    case badFraming
}

/// Takes an upload's body as it arrives and compares its data bytes, chunk framing left out,
/// with the pattern (`PatternBytes`) from offset 0.
struct UploadReader {
    enum Progress: Equatable {
        case needMore
        /// The body ended after the first `consumed` bytes given; later ones are the next request's.
        case finished(UploadCheck, consumed: Int)
    }

    private enum Remaining {
        case length(Int)
        case chunks(ChunkedScanner)
    }

    private var remaining: Remaining
    private var received = 0
    private var firstDifference: Int?

    /// `framing` is the request's: `.none` is an empty body.
    init(_ framing: BodyFraming) {
        switch framing {
        case .contentLength(let length): remaining = .length(Int(clamping: length))
        case .chunked: remaining = .chunks(ChunkedScanner())
        case .none, .untilClose, .tunnel: remaining = .length(0)
        }
    }

    /// Consumes the body's next bytes, as many as belong to it.
    mutating func consume(_ bytes: UnsafeRawBufferPointer) -> Progress {
        switch remaining {
        case .length(let left):
            let take = min(left, bytes.count)
            check(UnsafeRawBufferPointer(rebasing: bytes[0..<take]))
            remaining = .length(left - take)
            return left == take ? .finished(outcome, consumed: take) : .needMore
        case .chunks(var scanner):
            defer { remaining = .chunks(scanner) }
            var index = 0
            while index < bytes.count {
                if scanner.dataRemainingInChunk > 0 {
                    let take = Int(min(scanner.dataRemainingInChunk, UInt64(bytes.count - index)))
                    check(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + take)]))
                    scanner.skipData(UInt64(take))
                    index += take
                    continue
                }
                // Framing bytes one at a time, so that the scanner stops where chunk data starts.
                let step = scanner.scan(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + 1)]))
                index += 1
                switch step {
                case .needMore: continue
                case .complete: return .finished(outcome, consumed: index)
                case .invalid: return .finished(.badFraming, consumed: index)
                }
            }
            return .needMore
        }
    }

    private var outcome: UploadCheck {
        firstDifference.map { .differs(at: $0) } ?? .exact(bytes: received)
    }

    private mutating func check(_ data: UnsafeRawBufferPointer) {
        if firstDifference == nil && !PatternBytes.matches(data, at: received) {
            firstDifference = received + data.indices.first { data[$0] != PatternBytes.byte(at: received + $0) }!
        }
        received += data.count
    }
}
