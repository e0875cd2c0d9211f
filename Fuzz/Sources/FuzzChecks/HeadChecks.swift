import ODBHTTP

/// Properties of the head parser, the framing decision and the proxy rewrite on one input.
enum HeadChecks {
    /// Small enough that the fuzzer reaches both limits with inputs under its 4 KiB default.
    static let limits = HeadLimits(maxHeadBytes: 2048, maxHeaderCount: 24)
    /// For re-parsing what the relay itself produced, which may be longer than what it read.
    static let roomy = HeadLimits(maxHeadBytes: 1 << 20, maxHeaderCount: 10_000)
    static let rewrite = ProxyHeaderRewrite(pseudonym: "odb-redirect")
    static let responseMethods = ["GET", "HEAD", "CONNECT"]

    static func request(_ input: UnsafeRawBufferPointer) -> Violation? {
        let result = parsed(input, parser: HeadParser<RequestHead>.init, serialize: { $0.serialize() })
        guard case let .success(head?) = result else { return result.violation }
        guard case let .success(framing) = requestFraming(head) else { return nil }
        let forwarded = rewrite.request(head, clientAddress: "192.0.2.1", forwardingUpgrade: head.headers.contains("Upgrade"))
        guard case let .complete(seen, _) = RequestHead.parse(forwarded.serialize(), limits: roomy) else {
            return Violation("the forwarded request head does not parse")
        }
        guard requestFraming(seen) == .success(framing) else {
            return Violation("the forwarded request is framed \(requestFraming(seen)), the received one \(framing)")
        }
        return oneFramingField(seen.headers, framing)
    }

    static func response(_ input: UnsafeRawBufferPointer) -> Violation? {
        let result = parsed(input, parser: HeadParser<ResponseHead>.init, serialize: { $0.serialize() })
        guard case let .success(head?) = result else { return result.violation }
        let forwarded = rewrite.response(head, forwardingUpgrade: head.status == 101)
        guard case let .complete(seen, _) = ResponseHead.parse(forwarded.serialize(), limits: roomy) else {
            return Violation("the forwarded response head does not parse")
        }
        for method in responseMethods {
            guard case let .success(framing) = responseFraming(head, requestMethod: method) else { continue }
            guard responseFraming(seen, requestMethod: method) == .success(framing) else {
                return Violation("answering \(method), the forwarded response is framed differently from \(framing)")
            }
            if method == "GET", let violation = oneFramingField(seen.headers, framing) { return violation }
        }
        return nil
    }

    /// The head `input` starts with, if complete, once it parsed the same whole and split and
    /// its serialized form parsed back to itself.
    private static func parsed<Head: Equatable>(
        _ input: UnsafeRawBufferPointer, parser make: (HeadLimits) -> HeadParser<Head>, serialize: (Head) -> [UInt8]
    ) -> Result<Head?, Violation> {
        var parser = make(limits)
        let whole = parser.parse(input)
        if let violation = sameWhenSplit(input, whole: whole, parser: make(limits)) {
            return .failure(violation)
        }
        guard case let .complete(head, _) = whole else { return .success(nil) }
        let serialized = serialize(head)
        var again = make(roomy)
        guard again.parse(serialized) == .complete(head, headLength: serialized.count) else {
            return .failure(Violation("the serialized head does not parse back to itself"))
        }
        return .success(head)
    }

    /// The parser must give the same answer however the bytes arrive; the first byte picks the split.
    private static func sameWhenSplit<Head: Equatable>(
        _ input: UnsafeRawBufferPointer, whole: HeadParseResult<Head>, parser: HeadParser<Head>
    ) -> Violation? {
        guard let first = input.first else { return nil }
        var parser = parser
        let split = Int(first) % (input.count + 1)
        var result = parser.parse(UnsafeRawBufferPointer(rebasing: input[..<split]))
        if case .needMore = result {
            result = parser.parse(input)
        }
        return result == whole ? nil : Violation("split at \(split) the head parses as \(result), whole as \(whole)")
    }

    /// A forwarded message the relay frames by length carries that one length and nothing else,
    /// so the next hop cannot pick another.
    static func oneFramingField(_ headers: HTTPHeaders, _ framing: BodyFraming) -> Violation? {
        switch framing {
        case let .contentLength(length):
            guard headers.values(for: "Content-Length") == [String(length)], !headers.contains("Transfer-Encoding") else {
                return Violation("a body of length \(length) is forwarded with \(headers.values(for: "Content-Length")) and TE \(headers.values(for: "Transfer-Encoding"))")
            }
        case .chunked:
            guard !headers.contains("Content-Length") else {
                return Violation("a chunked body is forwarded with Content-Length")
            }
        case .none, .untilClose, .tunnel:
            break
        }
        return nil
    }
}

extension Result where Failure == Violation {
    /// The violation, or nil for a success.
    var violation: Violation? {
        if case let .failure(violation) = self { return violation }
        return nil
    }
}
