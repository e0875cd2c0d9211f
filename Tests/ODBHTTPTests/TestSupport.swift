import Testing
@testable import ODBHTTP

/// A head whose fields follow a request line for `/` with a Host, so tests list only what differs.
func requestText(_ fields: [String], requestLine: String = "GET / HTTP/1.1", host: Bool = true) -> String {
    let allFields = (host ? ["Host: example.com"] : []) + fields
    return requestLine + "\r\n" + allFields.map { $0 + "\r\n" }.joined() + "\r\n"
}

func parseRequest(_ text: String, limits: HeadLimits = HeadLimits()) -> HeadParseResult<RequestHead> {
    RequestHead.parse(Array(text.utf8), limits: limits)
}

func parseResponse(_ text: String, limits: HeadLimits = HeadLimits()) -> HeadParseResult<ResponseHead> {
    ResponseHead.parse(Array(text.utf8), limits: limits)
}

func requestHead(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> RequestHead {
    guard case let .complete(head, _) = parseRequest(text) else {
        Issue.record("expected a complete request head, got \(parseRequest(text))", sourceLocation: sourceLocation)
        throw ParseFailure()
    }
    return head
}

func responseHead(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ResponseHead {
    guard case let .complete(head, _) = parseResponse(text) else {
        Issue.record("expected a complete response head, got \(parseResponse(text))", sourceLocation: sourceLocation)
        throw ParseFailure()
    }
    return head
}

/// The request's framing, or the first error from parsing or framing it.
func requestFramingOf(_ text: String) -> Result<BodyFraming, HTTPParseError> {
    switch parseRequest(text) {
    case let .complete(head, _): return requestFraming(head)
    case let .invalid(error): return .failure(error)
    case .needMore: return .failure(.headTooLarge)
    }
}

/// The response's framing, or the first error from parsing or framing it.
func responseFramingOf(_ text: String, method: String = "GET") -> Result<BodyFraming, HTTPParseError> {
    switch parseResponse(text) {
    case let .complete(head, _): return responseFraming(head, requestMethod: method)
    case let .invalid(error): return .failure(error)
    case .needMore: return .failure(.headTooLarge)
    }
}

struct ParseFailure: Error {}

/// A deterministic generator, so a failing random split can be reproduced from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
