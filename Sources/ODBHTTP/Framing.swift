/// How the body of `head` is framed (RFC 9112 §6.3), or why it cannot be framed safely.
///
/// Requests have a body only with Content-Length or Transfer-Encoding. Transfer-Encoding
/// must be exactly `chunked`: RFC 9112 §6.3 requires 400 when chunked is not final, and the
/// relay does not decode codings, so `gzip, chunked` is refused with 501 rather than guessed
/// at. With both fields the request is refused, never repaired, since the ambiguity is the
/// attack.
public func requestFraming(_ head: RequestHead) -> Result<BodyFraming, HTTPParseError> {
    let hasTransferEncoding = head.headers.contains(.transferEncoding)
    let hasContentLength = head.headers.contains(.contentLength)
    if head.method == "CONNECT" && (hasTransferEncoding || hasContentLength) {
        return .failure(.contentNotAllowed)
    }
    if hasTransferEncoding {
        guard head.version == .http1_1 else { return .failure(.transferEncodingInHTTP10) }
        guard !hasContentLength else { return .failure(.ambiguousFraming) }
        let codings: [String]
        switch FramingFields.transferCodings(head.headers) {
        case let .success(parsed): codings = parsed
        case let .failure(error): return .failure(error)
        }
        guard codings.last == "chunked", codings.firstIndex(of: "chunked") == codings.count - 1 else {
            return .failure(.misplacedChunked)
        }
        guard codings.count == 1 else { return .failure(.unsupportedTransferEncoding) }
        return .success(.chunked)
    }
    return FramingFields.contentLength(head.headers).map { $0.map(BodyFraming.contentLength) ?? .none }
}

/// How the body of `head`, answering a `requestMethod` request, is framed (RFC 9112 §6.3).
///
/// A 101 is a `.tunnel` (other 1xx are interim and bodiless: another response follows).
/// Unlike requests, a response may apply codings before a final chunked; without a final
/// chunked it runs until close. chunked applied twice, both length fields, or
/// Transfer-Encoding from an HTTP/1.0 server are refused (the relay answers 502) because
/// the client behind the relay could read such a body differently.
public func responseFraming(_ head: ResponseHead, requestMethod: String) -> Result<BodyFraming, HTTPParseError> {
    if head.status == 101 {
        return .success(.tunnel)
    }
    if requestMethod == "HEAD" || head.status < 200 || head.status == 204 || head.status == 304 {
        return .success(.none)
    }
    if requestMethod == "CONNECT" && head.status < 300 {
        return .success(.tunnel)
    }
    if head.headers.contains(.transferEncoding) {
        guard head.version == .http1_1 else { return .failure(.transferEncodingInHTTP10) }
        guard !head.headers.contains(.contentLength) else { return .failure(.ambiguousFraming) }
        let codings: [String]
        switch FramingFields.transferCodings(head.headers) {
        case let .success(parsed): codings = parsed
        case let .failure(error): return .failure(error)
        }
        guard codings.filter({ $0 == "chunked" }).count <= 1 else { return .failure(.misplacedChunked) }
        return .success(codings.last == "chunked" ? .chunked : .untilClose)
    }
    return FramingFields.contentLength(head.headers).map { $0.map(BodyFraming.contentLength) ?? .untilClose }
}
