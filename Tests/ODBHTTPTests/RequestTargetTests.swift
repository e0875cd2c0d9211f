import Testing
@testable import ODBHTTP

@Suite struct RequestTargetTests {
    private func target(_ text: String, method: String = "GET") -> Result<RequestTarget, HTTPParseError> {
        Array(text.utf8).withUnsafeBytes { RequestTarget.parse($0, method: method) }
    }

    @Test(arguments: [
        "/public/../secret/x", "/public/%2e%2e/secret/x", "/public/%2E./x", "/public/.%2e", "/./a", "/a/.",
        "/a/..?q=1", "/a/%2e/b",
    ])
    func dotSegmentsAreFound(_ path: String) throws {
        #expect(try target(path).get().hasDotSegment)
        #expect(try target("http://example.com" + path).get().hasDotSegment)
    }

    @Test(arguments: ["/", "/a/b", "/a/.b", "/a/..b/c", "/a/.../c", "/a/b.c", "/a/%2ex", "/a?x=/../", "/a%2f..b"])
    func pathsWithoutDotSegmentsPass(_ path: String) throws {
        #expect(try target(path).get().hasDotSegment == false)
    }

    @Test func originForm() {
        #expect(target("/a/b?c=d") == .success(.origin("/a/b?c=d")))
        #expect(target("//double") == .success(.origin("//double")))
        #expect(target("/a|b{c}") == .success(.origin("/a|b{c}")))
        #expect(target("/").map(\.path) == .success("/"))
        #expect(target("/").map(\.authority) == .success(nil))
    }

    @Test func absoluteFormExposesAuthorityAndPath() throws {
        let parsed = try target("HTTP://Example.com:8080/p?q").get()
        #expect(parsed == .absolute(scheme: "HTTP", authority: "Example.com:8080", pathAndQuery: "/p?q"))
        #expect(parsed.authority == "Example.com:8080")
        #expect(parsed.path == "/p?q")
        #expect(parsed.description == "HTTP://Example.com:8080/p?q")
        #expect(try target("https://a.example").get().path == "/")
        #expect(try target("http://a.example?x=1").get().path == "/?x=1")
        #expect(try target("http://[::1]:80/").get().authority == "[::1]:80")
    }

    @Test func absoluteFormRejections() {
        for bad in ["ftp://a/", "http:/a", "http:a", "http://", "http://user:pw@a/", "http://a b/", "http://a:99999/", "mailto:x"] {
            #expect(target(bad) == .failure(.invalidRequestTarget), "\(bad)")
        }
    }

    @Test func authorityFormOnlyForConnect() {
        #expect(target("example.com:443", method: "CONNECT") == .success(.authority("example.com:443")))
        #expect(target("example.com:443", method: "CONNECT").map(\.authority) == .success("example.com:443"))
        #expect(target("example.com", method: "CONNECT") == .failure(.invalidRequestTarget))
        #expect(target("example.com:", method: "CONNECT") == .failure(.invalidRequestTarget))
        #expect(target("/", method: "CONNECT") == .failure(.invalidRequestTarget))
        #expect(target("http://example.com:443/", method: "CONNECT") == .failure(.invalidRequestTarget))
        #expect(target("example.com:443") == .failure(.invalidRequestTarget))
    }

    @Test func asteriskFormOnlyForOptions() {
        #expect(target("*", method: "OPTIONS") == .success(.asterisk))
        #expect(target("*", method: "OPTIONS").map(\.path) == .success(nil))
        #expect(target("*") == .failure(.invalidRequestTarget))
        #expect(target("*x", method: "OPTIONS") == .failure(.invalidRequestTarget))
    }

    @Test func forbiddenBytes() {
        for bad in ["", "/a b", "/a\tb", "/a\u{0}", "/\u{7F}", "/\u{E9}", "/a#b"] {
            #expect(target(bad) == .failure(.invalidRequestTarget), "\(bad.debugDescription)")
        }
    }
}
