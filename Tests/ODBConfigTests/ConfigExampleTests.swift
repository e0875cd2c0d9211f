import Testing
@testable import ODBConfig

@Suite struct ConfigExampleTests {
    let config: RelayConfig

    init() throws {
        config = try RelayConfig.parse(yaml: ConfigExample.yaml, fileName: "example.yaml")
    }

    @Test func topLevelSettings() {
        #expect(config.workers == 2)
        #expect(config.pinDirectory == "/sys/fs/bpf/odb-redirect")
        #expect(config.user == "odb")
        #expect(config.timeouts == Timeouts(connect: .seconds(5), headRead: .seconds(10), idle: .seconds(60),
                                            shutdownGrace: .seconds(30)))
        #expect(config.limits == Limits(maxHeadBytes: 65536, maxHeaders: 100, maxConnections: 10000))
        #expect(config.admin == AdminConfig(
            listen: Endpoint(host: "127.0.0.1", port: 9901), socket: "/run/odb-redirect/admin.sock", metrics: true))
        #expect(config.log == LogConfig(level: .info, format: .text, accessLog: true))
    }

    @Test func listeners() {
        #expect(config.listeners.map(\.listen) == [Endpoint(host: "0.0.0.0", port: 8080), Endpoint(host: "::", port: 8443)])
        let routes = config.listeners[0].routes
        #expect(routes.count == 3)
        #expect(routes[0] == RouteConfig(host: .exact("example.com"), pathPrefix: "/api/", upstream: "api", mode: .kernel,
                                         kernelMinBody: 64 << 10, autoSpliceMinBody: 128 << 10,
                                         autoLocalSpliceMinBody: 8 << 20, autoMinBody: 1 << 40, kernelMaxBody: 64 << 20, flowBudget: 16 << 20, allowConnect: false))
        #expect(routes[1] == RouteConfig(host: .wildcard(suffix: ".example.com"), upstream: "web"))
        #expect(routes[2] == RouteConfig(upstream: "web", mode: .splice, allowHTTP2PriorKnowledge: false))
        #expect(config.listeners[1].routes == [RouteConfig(upstream: "api", mode: .copy)])
    }

    @Test func upstreams() {
        #expect(config.upstreams.keys.sorted() == ["api", "web"])
        #expect(config.upstreams["api"] == UpstreamConfig(
            name: "api",
            servers: [Endpoint(host: "127.0.0.1", port: 9000), Endpoint(host: "::1", port: 9000),
                      Endpoint(host: "backend.internal", port: 80)],
            maxIdlePerServer: 32,
            failTimeout: .seconds(10)
        ))
        #expect(config.upstreams["web"]?.servers == [Endpoint(host: "127.0.0.1", port: 9100)])
    }

    @Test func connectionAndBodyLimits() {
        #expect(config.timeouts.maxConnectionAge == .seconds(3600))
        #expect(config.timeouts.maxExchangeTime == .seconds(3600))
        #expect(config.timeouts.minBodyRate == 256)
        #expect(config.timeouts.minBodyRateWindow == .seconds(30))
        #expect(config.limits.maxConnectionsPerClient == 0)
        #expect(config.limits.maxRequestsPerConnection == 10_000)
        #expect(config.limits.kernelBufferMemory == 2 << 30)
        #expect(config.limits.kernelSendBuffer == 4 << 20)
    }

    /// The example is the reference `--print-example-config` prints: every key the loader
    /// accepts appears in it.
    @Test func everyKeyIsListed() {
        let sections = [RelayConfig.keys, Timeouts.keys, Limits.keys, AdminConfig.keys, LogConfig.keys,
                        ListenerConfig.keys, RouteConfig.keys, UpstreamConfig.keys]
        for key in sections.joined() {
            #expect(ConfigExample.yaml.contains(" \(key):") || ConfigExample.yaml.contains("\n\(key):"), "\(key) is missing")
        }
    }

    @Test func everyRouteReachesAnUpstream() {
        for route in config.listeners.flatMap(\.routes) {
            #expect(config.upstreams[route.upstream] != nil, "route to \(route.upstream)")
        }
    }
}
