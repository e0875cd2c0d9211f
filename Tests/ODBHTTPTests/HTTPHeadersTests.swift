import Testing
@testable import ODBHTTP

@Suite struct HTTPHeadersTests {
    private func headers(_ pairs: [(String, String)]) -> HTTPHeaders {
        HTTPHeaders(pairs.map { HTTPField(name: $0.0, value: $0.1) })
    }

    @Test func lookupIsCaseInsensitiveAndOrdered() {
        let fields = headers([("Accept", "a"), ("X-Y", "1"), ("ACCEPT", "b")])
        #expect(fields.values(for: "accept") == ["a", "b"])
        #expect(fields.contains("x-y"))
        #expect(!fields.contains("X-Z"))
        #expect(!fields.contains("Accep"))
        #expect(fields.map(\.name) == ["Accept", "X-Y", "ACCEPT"])
    }

    @Test func knownNamesAreRecognisedInAnyCaseAndNoOthers() {
        for known in KnownFieldName.allCases {
            #expect(KnownFieldName(known.text) == known)
            #expect(KnownFieldName(known.text.lowercased()) == known)
            #expect(KnownFieldName(known.text.uppercased()) == known)
            #expect(KnownFieldName(known.text + "s") == nil)
            #expect(KnownFieldName(String(known.text.dropLast())) == nil)
        }
        for other in ["User-Agent", "Accept", "Server", "Date", "Content-Type", "X-Forwarded-Prot0", "Content\rLength",
                      "X-Forwarded^For", "Tf", ""] {
            #expect(KnownFieldName(other) == nil)
        }
    }

    @Test func lookupsFindKnownAndOtherNamesParsedOrAdded() {
        let head = Array("GET / HTTP/1.1\r\nhOsT: a\r\nUser-Agent: u\r\nconnection: X-Hop, close\r\nX-Hop: 1\r\n\r\n".utf8)
        guard case var .complete(request, _) = RequestHead.parse(head) else {
            Issue.record("the head does not parse")
            return
        }
        #expect(request.headers.index(of: .host) == 0)
        #expect(request.headers.value(for: "HOST") == "a")
        #expect(request.headers.value(for: "user-agent") == "u")
        #expect(request.headers.hasToken("close", in: .connection))
        #expect(!request.headers.contains(.via))
        request.headers.append(name: "VIA", value: "1.1 a")
        request.headers.append(name: "user-AGENT", value: "v")
        #expect(request.headers.contains(.via))
        #expect(request.headers.values(for: "User-Agent") == ["u", "v"])
        request.headers.remove(.connection)
        request.headers.remove(named: "x-hop")
        #expect(request.headers.map(\.name) == ["hOsT", "User-Agent", "VIA", "user-AGENT"])
    }

    @Test func removeDropsEveryCase() {
        var fields = headers([("Keep-Alive", "1"), ("A", "x"), ("keep-alive", "2")])
        fields.remove(named: "KEEP-ALIVE")
        #expect(fields.map(\.name) == ["A"])
    }

    @Test func tokensSplitTrimLowercaseAndSkipEmptyElements() {
        let fields = headers([("Connection", "Keep-Alive, ,\tX-Foo ,"), ("connection", "UPGRADE,")])
        #expect(fields.tokens(for: "Connection") == ["keep-alive", "x-foo", "upgrade"])
        #expect(fields.hasToken("Upgrade", in: "CONNECTION"))
        #expect(!fields.hasToken("close", in: "Connection"))
    }

    @Test func replaceAllKeepsThePositionOfTheFirst() {
        var fields = headers([("A", "1"), ("Host", "x"), ("B", "2"), ("host", "y")])
        fields.replaceAll(with: HTTPField(name: "Host", value: "z"))
        #expect(fields.map(\.name) == ["A", "Host", "B"])
        #expect(fields.values(for: "host") == ["z"])
        fields.replaceAll(with: HTTPField(name: "New", value: "n"))
        #expect(fields.last == HTTPField(name: "New", value: "n"))
    }

    @Test func appendListElementExtendsTheLastField() {
        var fields = headers([("Via", "1.0 a"), ("X", "y"), ("via", "1.1 b")])
        fields.appendListElement("1.1 c", to: .via)
        #expect(fields.values(for: "via") == ["1.0 a", "1.1 b, 1.1 c"])
        fields.appendListElement("10.0.0.1", to: .xForwardedFor)
        #expect(fields.last == HTTPField(name: "X-Forwarded-For", value: "10.0.0.1"))
        var empty = headers([("X-Forwarded-For", "")])
        empty.appendListElement("10.0.0.2", to: .xForwardedFor)
        #expect(empty.values(for: "X-Forwarded-For") == ["10.0.0.2"])
    }

    @Test func fieldValidation() {
        #expect(HTTPField.isValidName("X-Custom_1"))
        #expect(!HTTPField.isValidName(""))
        #expect(!HTTPField.isValidName("Bad Name"))
        #expect(!HTTPField.isValidName("Bad:Name"))
        #expect(HTTPField.isValidValue("a b\tc"))
        #expect(HTTPField.isValidValue(""))
        #expect(HTTPField.isValidValue("caf\u{E9}"))
        #expect(!HTTPField.isValidValue("a\r\nInjected: yes"))
        #expect(!HTTPField.isValidValue(" leading"))
        #expect(!HTTPField.isValidValue("trailing\t"))
        #expect(!HTTPField.isValidValue("\u{7F}"))
        #expect(!HTTPField.isValidValue("\u{100}"))
    }
}
