/// What the bytes buffered so far say about a message head.
public enum HeadParseResult<Head: Sendable>: Sendable {
    /// No complete head yet and still within the limit: read more and parse again.
    case needMore
    /// A valid head took the first `headLength` bytes; what follows is body or the next message.
    case complete(Head, headLength: Int)
    /// The bytes can never become a valid head; answer and close.
    case invalid(HTTPParseError)
}

extension HeadParseResult: Equatable where Head: Equatable {}
