/// How a message's body is delimited, which decides how the relay moves it.
public enum BodyFraming: Sendable, Hashable {
    /// No body; the next bytes are the next message. `contentLength(0)` is kept distinct so
    /// the relay can tell a declared empty body from an absent one.
    case none
    /// Exactly this many bytes.
    case contentLength(UInt64)
    /// Chunked; walk it with `ChunkedScanner`.
    case chunked
    /// Everything until the peer closes (responses only); the connection cannot be reused.
    case untilClose
    /// The connection stops being HTTP: after 101, or a 2xx answer to CONNECT.
    case tunnel
}
