import Testing
@testable import ODBConfig

@Suite struct ListenerConfigTests {
    let listener = ListenerConfig(listen: Endpoint(host: "", port: 80), routes: [
        RouteConfig(pathPrefix: "/", upstream: "fallback"),
        RouteConfig(pathPrefix: "/static/long/", upstream: "anyhost-long"),
        RouteConfig(host: .wildcard(suffix: ".example.com"), pathPrefix: "/", upstream: "wild"),
        RouteConfig(host: .wildcard(suffix: ".api.example.com"), pathPrefix: "/", upstream: "wild-api"),
        RouteConfig(host: .exact("example.com"), pathPrefix: "/", upstream: "exact"),
        RouteConfig(host: .exact("example.com"), pathPrefix: "/api/", upstream: "exact-api"),
    ])

    private func upstream(_ host: String?, _ path: String) -> String? {
        listener.route(host: host, path: path)?.upstream
    }

    @Test func longestPrefixWinsForTheSameHost() {
        #expect(upstream("example.com", "/api/users") == "exact-api")
        #expect(upstream("example.com", "/api") == "exact")
        #expect(upstream("other.org", "/static/long/x") == "anyhost-long")
        #expect(upstream("other.org", "/static/") == "fallback")
    }

    @Test func exactHostBeatsWildcardBeatsNoHost() {
        #expect(upstream("example.com", "/static/long/x") == "exact")
        #expect(upstream("www.example.com", "/static/long/x") == "wild")
        #expect(upstream("other.org", "/") == "fallback")
    }

    @Test func longerWildcardIsMoreSpecific() {
        #expect(upstream("v1.api.example.com", "/") == "wild-api")
        #expect(upstream("v1.www.example.com", "/") == "wild")
    }

    @Test func hostIsCaseInsensitiveAndIgnoresPort() {
        #expect(upstream("EXAMPLE.com:8080", "/api/x") == "exact-api")
        #expect(upstream("Www.Example.Com:443", "/") == "wild")
    }

    @Test func missingHostOnlyMatchesHostlessRoutes() {
        #expect(upstream(nil, "/api/x") == "fallback")
    }

    @Test func theHostIsReadOnlyWhenACandidateRouteNamesOne() {
        var reads = 0
        func host() -> String? {
            reads += 1
            return "example.com"
        }
        let hostless = ListenerConfig(listen: Endpoint(host: "", port: 80), routes: [
            RouteConfig(pathPrefix: "/", upstream: "any"),
            RouteConfig(host: .exact("example.com"), pathPrefix: "/api/", upstream: "api"),
        ])
        #expect(hostless.route(host: host(), path: "/static/x")?.upstream == "any")
        #expect(reads == 0)
        #expect(hostless.route(host: host(), path: "/api/x")?.upstream == "api")
        #expect(reads == 1)
    }

    @Test func noCandidateGivesNil() {
        let narrow = ListenerConfig(listen: Endpoint(host: "", port: 80), routes: [
            RouteConfig(host: .exact("example.com"), pathPrefix: "/api/", upstream: "api"),
        ])
        #expect(narrow.route(host: "example.com", path: "/other") == nil)
        #expect(narrow.route(host: "other.com", path: "/api/x") == nil)
        #expect(narrow.route(host: "example.com", path: "/api/x")?.upstream == "api")
    }
}
