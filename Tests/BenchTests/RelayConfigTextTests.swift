import ODBConfig
import Testing
@testable import ODBBench

/// The relay configuration a bench chain writes carries the thresholds the command line set, and
/// the relay's own loader reads them back.
@Suite struct RelayConfigTextTests {
    static func route(autoSpliceMinBody: Int?) throws -> RouteConfig? {
        let text = RelayConfigText.yaml(listen: HostPort(host: "127.0.0.1", port: 30_000),
                                        upstream: HostPort(host: "127.0.0.1", port: 30_001), mode: "auto",
                                        workers: 1, pinRoot: "/sys/fs/bpf/unused", kernelMinBody: nil,
                                        autoSpliceMinBody: autoSpliceMinBody)
        return try RelayConfig.parse(yaml: text, fileName: "relay.yaml").listeners.first?.routes.first
    }

    @Test func anAutoSpliceThresholdReachesTheRoute() throws {
        #expect(try Self.route(autoSpliceMinBody: 2 << 20)?.autoSpliceMinBody == 2 << 20)
        #expect(try Self.route(autoSpliceMinBody: nil)?.autoSpliceMinBody == RouteConfig.defaultAutoSpliceMinBody)
    }
}
