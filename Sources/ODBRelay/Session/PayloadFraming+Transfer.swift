import ODBHTTP

/// A body's framing as its transfer follows it and as `PathPolicy` weighs it, from the one
/// framing every message with body bytes has: a request's, a response's, a held payload's.
extension PayloadFraming {
    var transferFraming: BodyTransfer.Framing {
        switch self {
        case let .length(length): .length(remaining: length)
        case .chunked: .chunked(ChunkedScanner())
        case .close: .untilClose
        }
    }

    var policyBody: PathPolicy.Body {
        switch self {
        case let .length(length): .length(length)
        case .chunked: .chunked
        case .close: .untilClose
        }
    }
}
