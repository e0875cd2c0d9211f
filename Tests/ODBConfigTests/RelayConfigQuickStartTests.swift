import Testing
@testable import ODBConfig

@Suite struct RelayConfigQuickStartTests {
    @Test func oneListenerPerAddressAllRoutingToOnePool() throws {
        let config = try RelayConfig.quickStart(
            listen: [":8080", "[::1]:8081"], upstreams: ["127.0.0.1:9000", "backend:9001"], mode: .splice, workers: 3
        )
        #expect(config.workers == 3)
        #expect(config.listeners.map(\.listen.description) == [":8080", "[::1]:8081"])
        for listener in config.listeners {
            #expect(listener.routes == [RouteConfig(pathPrefix: "/", upstream: RelayConfig.quickStartUpstream, mode: .splice)])
        }
        #expect(config.upstreams.count == 1)
        #expect(config.upstreams[RelayConfig.quickStartUpstream]?.servers
            == [Endpoint(host: "127.0.0.1", port: 9000), Endpoint(host: "backend", port: 9001)])
        #expect(config.timeouts == Timeouts())
    }

    @Test func defaultsToAutoModeAndOnlineCPUs() throws {
        let config = try RelayConfig.quickStart(listen: [":8080"], upstreams: ["127.0.0.1:9000"])
        #expect(config.workers == RelayConfig.onlineCPUs)
        #expect(config.listeners[0].routes[0].mode == .auto)
    }

    @Test func errorsNameTheFlag() {
        #expect(throws: ConfigError(file: "--listen", reason: "at least one --listen address is required")) {
            try RelayConfig.quickStart(listen: [], upstreams: ["127.0.0.1:9000"])
        }
        #expect(throws: ConfigError(file: "--upstream", reason: "at least one --upstream address is required")) {
            try RelayConfig.quickStart(listen: [":80"], upstreams: [])
        }
        #expect(throws: ConfigError(file: "--upstream", reason: "server address \":9000\" needs a host to connect to")) {
            try RelayConfig.quickStart(listen: [":80"], upstreams: [":9000"])
        }
        #expect(throws: ConfigError(file: "--workers", reason: "must be between 1 and 1024, got 5000")) {
            try RelayConfig.quickStart(listen: [":80"], upstreams: ["a:1"], workers: 5000)
        }
    }

    @Test func invalidOrDuplicateAddressesAreRejected() throws {
        do {
            _ = try RelayConfig.quickStart(listen: ["localhost"], upstreams: ["a:1"])
            Issue.record("missing port accepted")
        } catch {
            #expect(error.file == "--listen")
            #expect(error.reason.contains("missing port"))
        }
        #expect(throws: ConfigError.self) { try RelayConfig.quickStart(listen: [":80", "127.0.0.1:80"], upstreams: ["a:1"]) }
        #expect(throws: ConfigError.self) { try RelayConfig.quickStart(listen: [":80"], upstreams: ["a:1", "a:1"]) }
    }
}
