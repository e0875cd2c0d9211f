import ODBHTTP

/// The host and path a request is routed by.
enum RequestRouting {
    /// Absolute-form targets carry the authority that wins over Host (RFC 9112 §3.2.2).
    static func host(of head: borrowing RequestHead) -> String? {
        head.target.authority ?? head.headers.value(of: .host)
    }

    static func path(of head: borrowing RequestHead) -> String {
        head.target.path ?? "/"
    }
}
