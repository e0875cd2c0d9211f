/// Whether the client connection may carry another request after this one (RFC 9112 §9.3).
///
/// HTTP/1.1 persists unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
public func keepAlive(request: RequestHead) -> Bool {
    isPersistent(request.headers, version: request.version)
}

/// Whether the upstream connection may carry another request after this response (RFC 9112 §9.3).
///
/// Only the head is judged: a response framed `.untilClose` ends the connection regardless.
public func keepAlive(response: ResponseHead) -> Bool {
    isPersistent(response.headers, version: response.version)
}

/// Whether the client waits for `100 Continue` before sending its body (RFC 9110 §10.1.1).
///
/// HTTP/1.0 requests are never waiting: RFC 9110 requires ignoring the expectation there.
public func expectsContinue(request: RequestHead) -> Bool {
    request.version == .http1_1 && request.headers.hasToken("100-continue", in: .expect)
}

private func isPersistent(_ headers: HTTPHeaders, version: HTTPVersion) -> Bool {
    if headers.hasToken("close", in: .connection) {
        return false
    }
    return version == .http1_1 || headers.hasToken("keep-alive", in: .connection)
}
