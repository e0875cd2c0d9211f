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
        fields.appendListElement("1.1 c", to: "VIA")
        #expect(fields.values(for: "via") == ["1.0 a", "1.1 b, 1.1 c"])
        fields.appendListElement("10.0.0.1", to: "X-Forwarded-For")
        #expect(fields.last == HTTPField(name: "X-Forwarded-For", value: "10.0.0.1"))
        var empty = headers([("X-Forwarded-For", "")])
        empty.appendListElement("10.0.0.2", to: "X-Forwarded-For")
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
