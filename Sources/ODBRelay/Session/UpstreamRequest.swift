import ODBHTTP

/// What an exchange sends its upstream ahead of any body, kept to send again on another
/// connection to that server (an idle pooled one, or a new one) when a pooled one turns out to be
/// closed before any of the request's body was sent.
enum UpstreamRequest {
    /// The client's request head, rewritten for the upstream: written straight into the
    /// connection's send queue, with no array of its own.
    case head(RequestHead)
    /// Bytes made elsewhere: a claim for a held payload.
    case bytes([UInt8])

    /// Nothing: a tunnel opened by the HTTP/2 preface, or a claim served from a held connection.
    static let nothing = UpstreamRequest.bytes([])

    func write(to queue: ByteQueue) {
        switch self {
        case let .head(head): queue.append(head)
        case let .bytes(bytes): queue.append(contentsOf: bytes)
        }
    }
}
