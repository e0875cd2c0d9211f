import ODBConfig
import Testing
@testable import ODBBench

/// The relay configuration a bench chain writes carries the thresholds the command line set, and
/// the relay's own loader reads them back.
@Suite struct RelayConfigTextTests {
    static func route(_ autoSplice: AutoSpliceThresholds) throws -> RouteConfig? {
        let text = RelayConfigText.yaml(listen: HostPort(host: "127.0.0.1", port: 30_000),
                                        upstream: HostPort(host: "127.0.0.1", port: 30_001), mode: "auto",
                                        workers: 1, pinRoot: "/sys/fs/bpf/unused", kernelMinBody: nil,
                                        autoSplice: autoSplice)
        return try RelayConfig.parse(yaml: text, fileName: "relay.yaml").listeners.first?.routes.first
    }

    @Test func autoSpliceThresholdsReachTheRoute() throws {
        let both = try #require(try Self.route(AutoSpliceThresholds(minBody: 2 << 20, localMinBody: 8 << 20)))
        #expect(both.autoSpliceMinBody == 2 << 20 && both.autoLocalSpliceMinBody == 8 << 20)
        let local = try #require(try Self.route(AutoSpliceThresholds(localMinBody: 256 << 10)))
        #expect(local.autoSpliceMinBody == RouteConfig.defaultAutoSpliceMinBody && local.autoLocalSpliceMinBody == 256 << 10)
        let neither = try #require(try Self.route(AutoSpliceThresholds()))
        #expect(neither.autoSpliceMinBody == RouteConfig.defaultAutoSpliceMinBody)
        #expect(neither.autoLocalSpliceMinBody == RouteConfig.defaultAutoLocalSpliceMinBody)
    }
}
