import Testing
@testable import ODBHTTP

@Suite struct HeadParserTests {
    @Test func incompleteHeadNeedsMore() {
        #expect(parseRequest("GET / HTTP/1.1\r\nHost: a\r\n") == .needMore)
        #expect(parseRequest("") == .needMore)
        #expect(parseResponse("HTTP/1.1 200 OK\r\n\r") == .needMore)
    }

    @Test func headLengthExcludesFollowingBytes() throws {
        let head = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
        guard case let .complete(parsed, length) = parseRequest(head + "hello" + "GET / HTTP/1.1\r\n") else {
            Issue.record("expected complete")
            return
        }
        #expect(length == head.utf8.count)
        #expect(parsed.method == "POST")
    }

    @Test func headAtExactlyTheLimitIsAccepted() {
        let head = requestText([])
        let limits = HeadLimits(maxHeadBytes: head.utf8.count)
        guard case .complete = parseRequest(head, limits: limits) else {
            Issue.record("head of exactly the limit rejected")
            return
        }
        #expect(parseRequest(head, limits: HeadLimits(maxHeadBytes: head.utf8.count - 1)) == .invalid(.headTooLarge))
    }

    @Test func unterminatedHeadAtTheLimitIsTooLarge() {
        let limits = HeadLimits(maxHeadBytes: 64)
        let partial = "GET / HTTP/1.1\r\nX-Long: " + String(repeating: "a", count: 60)
        #expect(parseRequest(partial, limits: limits) == .invalid(.headTooLarge))
        #expect(RequestHead.parse(Array(partial.utf8).prefix(63), limits: limits) == .needMore)
    }

    @Test func defaultLimitsAreSixtyFourKiBAndOneHundredFields() {
        #expect(HeadLimits().maxHeadBytes == 65536)
        #expect(HeadLimits().maxHeaderCount == 100)
        let fields = (0..<101).map { "X-F\($0): v" }
        #expect(parseRequest(requestText(Array(fields.prefix(99)))) != .invalid(.tooManyHeaders))
        #expect(parseRequest(requestText(fields)) == .invalid(.tooManyHeaders))
    }

    @Test func headerCountLimitCountsEveryFieldLine() {
        let limits = HeadLimits(maxHeaderCount: 2)
        guard case .complete = parseRequest(requestText(["A: 1"]), limits: limits) else {
            Issue.record("two fields rejected at limit 2")
            return
        }
        #expect(parseRequest(requestText(["A: 1", "A: 1"]), limits: limits) == .invalid(.tooManyHeaders))
    }

    @Test func bareLineEndingsAreRejectedBeforeTheHeadEnds() {
        #expect(parseRequest("GET / HTTP/1.1\nHost: a\n\n") == .invalid(.bareLineFeed))
        #expect(parseRequest("GET / HTTP/1.1\r\nHost: a\n") == .invalid(.bareLineFeed))
        #expect(parseRequest("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n") == .invalid(.bareCarriageReturn))
        #expect(parseRequest("GET / HTTP/1.1\r\r\n") == .invalid(.bareCarriageReturn))
        #expect(parseResponse("HTTP/1.1 200 OK\r\nA: b\r\n\n") == .invalid(.bareLineFeed))
    }

    @Test func requestsMayFollowEmptyLinesButResponsesMayNot() throws {
        let text = "\r\n\r\n" + requestText([])
        guard case let .complete(head, length) = parseRequest(text) else {
            Issue.record("leading empty lines not skipped")
            return
        }
        #expect(length == text.utf8.count)
        #expect(head.method == "GET")
        #expect(parseResponse("\r\nHTTP/1.1 200 OK\r\n\r\n") == .invalid(.invalidStatusLine))
    }

    @Test(arguments: [
        requestText(["Content-Length: 3", "X-Obs: caf\u{E9}"]),
        "POST http://a.example/x?y HTTP/1.1\r\nHost: b\r\n\r\nbody",
        requestText(["Bad Name: x"]),
        requestText([" folded"]),
        "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n",
        "GET / HTTP/3.0\r\n\r\n",
    ])
    func everySplitGivesTheOneShotResult(text: String) {
        let bytes = Array(text.utf8)
        let oneShot = RequestHead.parse(bytes)
        for split in 0...bytes.count {
            var parser = HeadParser<RequestHead>()
            let first = parser.parse(bytes[..<split])
            let result = first == .needMore ? parser.parse(bytes) : first
            #expect(result == oneShot, "split at \(split)")
        }
    }

    @Test func byteAtATimeFeedingMatchesOneShot() {
        let bytes = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: x\r\n\r\nok".utf8)
        var parser = HeadParser<ResponseHead>()
        var result = HeadParseResult<ResponseHead>.needMore
        for end in 1...bytes.count where result == .needMore {
            result = parser.parse(bytes[..<end])
        }
        #expect(result == ResponseHead.parse(bytes))
        guard case let .complete(_, length) = result else {
            Issue.record("no head")
            return
        }
        #expect(length == bytes.count - 2)
    }

    @Test func resetStartsANewMessage() {
        let first = Array(requestText([]).utf8)
        let second = Array("DELETE /x HTTP/1.1\r\nHost: b\r\n\r\n".utf8)
        var parser = HeadParser<RequestHead>()
        guard case .complete = parser.parse(first) else {
            Issue.record("first head")
            return
        }
        parser.reset()
        guard case let .complete(head, length) = parser.parse(second) else {
            Issue.record("second head")
            return
        }
        #expect(head.method == "DELETE")
        #expect(length == second.count)
    }

    @Test func nonContiguousCollectionsParseTheSame() {
        let bytes = Array(requestText(["A: b"]).utf8)
        #expect(RequestHead.parse(bytes.lazy.map { $0 }) == RequestHead.parse(bytes))
    }
}
