import ODBHTTP

/// Why a body stopped before its framing said it was complete (other than its source ending).
enum BodyFailure: Equatable, CustomStringConvertible {
    /// The sender framed a chunked body wrongly; for a request that is the client's error (400).
    case invalidChunked(HTTPParseError)
    case readFailed(errno: Int32)
    case writeFailed
    case spliceInFailed(errno: Int32)
    case spliceOutFailed(errno: Int32)
    case targetGone
    case kernelRefused

    /// Whether the body's receiving side failed (its write, splice out or in-kernel send), as
    /// opposed to its sender, the framing, or the path.
    var isTargetSide: Bool {
        switch self {
        case .writeFailed, .spliceOutFailed, .targetGone: return true
        case .invalidChunked, .readFailed, .spliceInFailed, .kernelRefused: return false
        }
    }

    var description: String {
        switch self {
        case let .invalidChunked(error): return "chunked body: \(error)"
        case let .readFailed(code): return "reading: \(SystemError("recv", errno: code))"
        case .writeFailed: return "writing failed"
        case let .spliceInFailed(code): return "splicing in: \(SystemError("splice", errno: code))"
        case let .spliceOutFailed(code): return "splicing out: \(SystemError("splice", errno: code))"
        case .targetGone: return "the receiving side closed during an in-kernel body"
        case .kernelRefused: return "the kernel path could not start this body"
        }
    }
}
