import Testing
@testable import ODBConfig

@Suite struct HostPatternTests {
    @Test func parsesExactAndWildcard() throws {
        #expect(try HostPattern.parse("Example.COM") == .exact("example.com"))
        #expect(try HostPattern.parse("*.Example.com") == .wildcard(suffix: ".example.com"))
        #expect(try HostPattern.parse("[::1]") == .exact("[::1]"))
        #expect(HostPattern("*.example.com")?.description == "*.example.com")
    }

    @Test(arguments: ["", "*", "*.", "a.*.com", "example.com:80", "exa mple.com", "**.example.com"])
    func rejects(text: String) {
        #expect(HostPattern(text) == nil)
    }

    @Test func portInPatternHasItsOwnReason() {
        do {
            _ = try HostPattern.parse("example.com:80")
            Issue.record("a pattern with a port parsed")
        } catch {
            #expect(error.reason.contains("must not include a port"))
        }
    }

    @Test func normalizeDropsCasePortAndTrailingDot() {
        #expect(HostPattern.normalize("Example.COM:8080") == "example.com")
        #expect(HostPattern.normalize("example.com.") == "example.com")
        #expect(HostPattern.normalize("[::1]:8080") == "[::1]")
        #expect(HostPattern.normalize("[::1]") == "[::1]")
    }

    @Test func wildcardMatchesSubdomainsOnly() {
        let pattern = HostPattern.wildcard(suffix: ".example.com")
        #expect(pattern.matches(normalizedHost: "a.example.com"))
        #expect(pattern.matches(normalizedHost: "a.b.example.com"))
        #expect(!pattern.matches(normalizedHost: "example.com"))
        #expect(!pattern.matches(normalizedHost: "badexample.com"))
    }
}
