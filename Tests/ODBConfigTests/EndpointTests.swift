import Testing
@testable import ODBConfig

@Suite struct EndpointTests {
    @Test func hostAndPort() throws {
        let endpoint = try Endpoint.parse("Backend.Internal:80")
        #expect(endpoint == Endpoint(host: "backend.internal", port: 80))
        #expect(endpoint.isHostName)
        #expect(!endpoint.isIPv4Literal && !endpoint.isIPv6Literal && !endpoint.isWildcard)
    }

    @Test func ipv4Literal() throws {
        let endpoint = try Endpoint.parse("127.0.0.1:9000")
        #expect(endpoint.host == "127.0.0.1" && endpoint.port == 9000)
        #expect(endpoint.isIPv4Literal && !endpoint.isHostName)
    }

    @Test func bracketedIPv6() throws {
        let endpoint = try Endpoint.parse("[2001:DB8::1]:443")
        #expect(endpoint.host == "2001:db8::1")
        #expect(endpoint.isIPv6Literal && !endpoint.isIPv4Literal && !endpoint.isHostName)
        #expect(endpoint.description == "[2001:db8::1]:443")
        #expect(Endpoint(endpoint.description) == endpoint)
        #expect(try Endpoint.parse("[::]:80").host == "::")
    }

    @Test func allAddresses() throws {
        let endpoint = try Endpoint.parse(":8080")
        #expect(endpoint.isWildcard)
        #expect(endpoint.port == 8080)
        #expect(endpoint.description == ":8080")
    }

    @Test func portBounds() throws {
        #expect(try Endpoint.parse("a:1").port == 1)
        #expect(try Endpoint.parse("a:65535").port == 65535)
        #expect(Endpoint("a:0") == nil)
        #expect(Endpoint("a:65536") == nil)
    }

    @Test(arguments: [
        ("localhost", "missing port"), ("[::1]", "missing port"), ("[::1:80", "missing ']'"),
        ("::1:80", "need brackets"), ("[fe80::zz]:80", "invalid IPv6"), ("[1.2.3.4]:80", "invalid IPv6"),
        ("300.1.1.1:80", "invalid IPv4"), ("bad_host!:80", "invalid host name"), ("a..b:80", "invalid host name"),
        ("host:", "invalid port"), ("host:http", "invalid port"), ("host:+80", "invalid port"),
        ("host:70000", "between 1 and 65535"),
    ])
    func rejects(text: String, reason: String) {
        do {
            let endpoint = try Endpoint.parse(text)
            Issue.record("\"\(text)\" parsed as \(endpoint)")
        } catch {
            #expect(error.reason.contains(reason), "\(error.reason)")
        }
    }
}
