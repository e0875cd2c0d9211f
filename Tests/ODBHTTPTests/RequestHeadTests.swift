import Testing
@testable import ODBHTTP

@Suite struct RequestHeadTests {
    @Test func parsesRequestLineAndFieldsInOrder() throws {
        let head = try requestHead("POST /submit?x=1 HTTP/1.1\r\nHost: example.com\r\nX-Custom-Name:  spaced value \t\r\nx-custom-name: two\r\n\r\n")
        #expect(head.method == "POST")
        #expect(head.target == .origin("/submit?x=1"))
        #expect(head.version == .http1_1)
        #expect(head.headers.map(\.name) == ["Host", "X-Custom-Name", "x-custom-name"])
        #expect(head.headers.values(for: "X-CUSTOM-NAME") == ["spaced value", "two"])
    }

    @Test func acceptsHTTP10WithoutHost() throws {
        let head = try requestHead("GET / HTTP/1.0\r\n\r\n")
        #expect(head.version == .http1_0)
        #expect(head.headers.isEmpty)
    }

    @Test(arguments: [
        "GET  / HTTP/1.1",
        "GET /  HTTP/1.1",
        " GET / HTTP/1.1",
        "GET / HTTP/1.1 ",
        "GET /",
        "GET",
        "GET / HTTP/1.1 extra",
        "GET / http/1.1",
        "GET / HTTP/1.1.1",
        "GET / HTTP/11",
        "GET / HTTP/1.x",
        "GET /a b HTTP/1.1",
        "GET\t/ HTTP/1.1",
    ])
    func rejectsMalformedRequestLines(line: String) {
        let result = parseRequest(requestText([], requestLine: line))
        #expect(result == .invalid(.invalidRequestLine) || result == .invalid(.invalidMethod),
                "\(line.debugDescription) gave \(result)")
    }

    @Test func requestLineErrorsAreSpecific() {
        #expect(parseRequest(requestText([], requestLine: "GET  / HTTP/1.1")) == .invalid(.invalidRequestLine))
        #expect(parseRequest(requestText([], requestLine: "G@T / HTTP/1.1")) == .invalid(.invalidMethod))
        #expect(parseRequest(requestText([], requestLine: "GET\t/ / HTTP/1.1")) == .invalid(.invalidMethod))
        #expect(parseRequest(requestText([], requestLine: "GET / HTTP/1.1 ")) == .invalid(.invalidRequestLine))
    }

    @Test(arguments: ["HTTP/2.0", "HTTP/0.9", "HTTP/1.2", "HTTP/3.1"])
    func rejectsOtherVersions(version: String) {
        #expect(parseRequest(requestText([], requestLine: "GET / \(version)")) == .invalid(.unsupportedVersion))
    }

    @Test func rejectsBadTargets() {
        for target in ["/a\u{7F}", "/caf\u{E9}", "/a#frag", "*", "example.com:443", "ftp://a/", "http://user@a/", "http:///x"] {
            #expect(parseRequest(requestText([], requestLine: "GET \(target) HTTP/1.1")) == .invalid(.invalidRequestTarget),
                    "\(target.debugDescription)")
        }
        #expect(parseRequest(requestText([], requestLine: "CONNECT / HTTP/1.1")) == .invalid(.invalidRequestTarget))
    }

    @Test func fieldLineErrorsAreSpecific() {
        #expect(parseRequest(requestText(["Transfer-Encoding : chunked"])) == .invalid(.whitespaceBeforeColon))
        #expect(parseRequest(requestText(["X-A\t: b"])) == .invalid(.whitespaceBeforeColon))
        #expect(parseRequest(requestText(["X-A: b", " continued"])) == .invalid(.obsoleteLineFolding))
        #expect(parseRequest(requestText(["X-A: b", "\tcontinued"])) == .invalid(.obsoleteLineFolding))
        #expect(parseRequest(requestText(["X-A b"])) == .invalid(.invalidFieldName))
        #expect(parseRequest(requestText(["X(A): b"])) == .invalid(.invalidFieldName))
        #expect(parseRequest(requestText([": b"])) == .invalid(.invalidFieldName))
        #expect(parseRequest(requestText(["NoColon"])) == .invalid(.missingColon))
        #expect(parseRequest(requestText(["X-A: a\u{0}b"])) == .invalid(.invalidFieldValue))
        #expect(parseRequest(requestText(["X-A: a\u{7F}b"])) == .invalid(.invalidFieldValue))
        #expect(parseRequest(requestText(["X-A: a\u{1B}b"])) == .invalid(.invalidFieldValue))
        #expect(parseRequest(requestText(["X-A:\u{0B}b"])) == .invalid(.invalidFieldValue))
    }

    @Test func firstFieldLineStartingWithWhitespaceIsRejected() {
        #expect(parseRequest("GET / HTTP/1.1\r\n Host: a\r\n\r\n") == .invalid(.obsoleteLineFolding))
    }

    @Test func fieldValuesKeepObsTextAndTabsByteForByte() throws {
        let bytes: [UInt8] = Array("GET / HTTP/1.1\r\nHost: a\r\nX-Raw: ".utf8) + [0xFF, 0x80, 0x09, 0x41] + Array("\r\n\r\n".utf8)
        guard case let .complete(head, _) = RequestHead.parse(bytes) else {
            Issue.record("obs-text rejected")
            return
        }
        #expect(head.headers.values(for: "x-raw").first?.unicodeScalars.map(\.value) == [0xFF, 0x80, 0x09, 0x41])
        #expect(head.serialize() == bytes)
    }

    @Test func emptyFieldValueIsAllowed() throws {
        let head = try requestHead(requestText(["X-Empty:", "X-Blank:   "]))
        #expect(head.headers.values(for: "X-Empty") == [""])
        #expect(head.headers.values(for: "X-Blank") == [""])
    }

    @Test func hostRules() {
        #expect(parseRequest(requestText([], host: false)) == .invalid(.missingHost))
        #expect(parseRequest(requestText(["Host: other.example"])) == .invalid(.multipleHost))
        #expect(parseRequest("GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n") == .invalid(.multipleHost))
        for bad in ["a b", "a/b", "a@b", "a,b", "a:80:80", "a:http", "a:123456", "a:65536", "[zz::1]", "[::1", ":80", "a%2"] {
            #expect(parseRequest(requestText(["Host: \(bad)"], host: false)) == .invalid(.invalidHost), "\(bad)")
        }
        for good in ["", "example.com", "example.com:8080", "[::1]:443", "192.0.2.1", "a%41b", "a:"] {
            guard case .complete = parseRequest(requestText(["Host: \(good)"], host: false)) else {
                Issue.record("rejected Host \(good.debugDescription)")
                continue
            }
        }
    }

    @Test func serializeRoundTripsCanonicalHeads() throws {
        let text = "PUT /r?q HTTP/1.1\r\nHost: example.com\r\nContent-Length: 4\r\nX-Mixed-Case: Value\r\nEmpty:\r\n\r\n"
        let head = try requestHead(text)
        #expect(head.serialize() == Array(text.utf8))
        #expect(RequestHead.parse(head.serialize()) == parseRequest(text))
    }

    @Test func serializeNormalisesOptionalWhitespace() throws {
        let head = try requestHead("GET / HTTP/1.1\r\nHost:example.com \r\nA:\t b\r\n\r\n")
        #expect(head.serialize() == Array("GET / HTTP/1.1\r\nHost: example.com\r\nA: b\r\n\r\n".utf8))
    }
}
