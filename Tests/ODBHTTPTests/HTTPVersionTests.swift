import Testing
@testable import ODBHTTP

@Suite struct HTTPVersionTests {
    @Test func describesWireForm() {
        #expect(HTTPVersion.http1_1.description == "HTTP/1.1")
        #expect(HTTPVersion.http1_0.description == "HTTP/1.0")
        #expect(HTTPVersion.http1_0 != HTTPVersion.http1_1)
    }

    @Test func parsesOnlyExactSyntax() {
        func parse(_ text: String) -> Result<HTTPVersion, HTTPParseError> {
            Array(text.utf8).withUnsafeBytes { HTTPVersion.parse($0, malformed: .invalidRequestLine) }
        }
        #expect(parse("HTTP/1.1") == .success(.http1_1))
        #expect(parse("HTTP/1.0") == .success(.http1_0))
        #expect(parse("HTTP/2.0") == .failure(.unsupportedVersion))
        #expect(parse("HTTP/1.1 ") == .failure(.invalidRequestLine))
        #expect(parse("HTTPS/1.1") == .failure(.invalidRequestLine))
        #expect(parse("Http/1.1") == .failure(.invalidRequestLine))
    }
}
