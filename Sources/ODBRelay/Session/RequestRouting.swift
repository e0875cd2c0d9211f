import ODBHTTP

/// The host and path a request is routed by.
struct RequestRouting {
    let host: String?
    let path: String

    /// Absolute-form targets carry the authority that wins over Host (RFC 9112 §3.2.2).
    init(_ head: borrowing RequestHead) {
        host = head.target.authority ?? head.headers.value(of: .host)
        path = head.target.path ?? "/"
    }
}
