import Testing
@testable import ODBHTTP

@Suite struct ResponseHeadTests {
    @Test func parsesStatusLine() throws {
        let head = try responseHead("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        #expect(head.version == .http1_1)
        #expect(head.status == 404)
        #expect(head.reason == "Not Found")
        #expect(head.headers.values(for: "content-length") == ["0"])
    }

    @Test func emptyReasonWithAndWithoutSpace() throws {
        let spaced = try responseHead("HTTP/1.1 200 \r\n\r\n")
        let bare = try responseHead("HTTP/1.0 204\r\n\r\n")
        #expect(spaced.status == 200 && spaced.reason.isEmpty)
        #expect(bare.status == 204 && bare.reason.isEmpty && bare.version == .http1_0)
    }

    @Test(arguments: [
        "HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "HTTP/1.1  200 OK", "HTTP/1.1 2x0 OK", "HTTP/1.1 099 Low",
        "HTTP/1.1 600 High", "HTTP/1.1 200\tOK", "HTTP/1.1 200 O\u{0}K", "HTTP/1.1 200 O\u{7F}K",
        "http/1.1 200 OK", "HTTP/1.1", "HTTP/1.1200 OK", "",
    ])
    func rejectsMalformedStatusLines(line: String) {
        #expect(parseResponse(line + "\r\n\r\n") == .invalid(.invalidStatusLine), "\(line.debugDescription)")
    }

    @Test func rejectsOtherVersions() {
        #expect(parseResponse("HTTP/2.0 200 OK\r\n\r\n") == .invalid(.unsupportedVersion))
    }

    @Test func fieldRulesMatchRequests() {
        #expect(parseResponse("HTTP/1.1 200 OK\r\nA : b\r\n\r\n") == .invalid(.whitespaceBeforeColon))
        #expect(parseResponse("HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n") == .invalid(.obsoleteLineFolding))
        #expect(parseResponse("HTTP/1.1 200 OK\r\nA: \u{1}\r\n\r\n") == .invalid(.invalidFieldValue))
    }

    @Test func serializeRoundTrips() throws {
        let text = "HTTP/1.1 301 Moved Permanently\r\nLocation: /x\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n"
        let head = try responseHead(text)
        #expect(head.serialize() == Array(text.utf8))
    }

    @Test func serializeAlwaysWritesTheSpaceBeforeTheReason() throws {
        let head = try responseHead("HTTP/1.1 200\r\n\r\n")
        #expect(head.serialize() == Array("HTTP/1.1 200 \r\n\r\n".utf8))
    }

    @Test func relayBuiltResponsesSerialize() {
        var headers = HTTPHeaders()
        headers.append(name: "Content-Length", value: "0")
        let head = ResponseHead(status: 502, reason: "Bad Gateway", headers: headers)
        #expect(head.serialize() == Array("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n".utf8))
    }
}
