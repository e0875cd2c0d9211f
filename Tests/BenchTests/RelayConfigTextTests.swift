import ODBConfig
import Testing
@testable import ODBBench

/// The relay configuration a bench chain writes carries the thresholds the command line set, and
/// the relay's own loader reads them back.
@Suite struct RelayConfigTextTests {
    static func route(_ auto: AutoRouteSettings) throws -> RouteConfig? {
        let text = RelayConfigText.yaml(listen: HostPort(host: "127.0.0.1", port: 30_000),
                                        upstream: HostPort(host: "127.0.0.1", port: 30_001), mode: "auto",
                                        workers: 1, pinRoot: "/sys/fs/bpf/unused", kernelMinBody: nil,
                                        auto: auto)
        return try RelayConfig.parse(yaml: text, fileName: "relay.yaml").listeners.first?.routes.first
    }

    @Test func theAutoRouteSettingsReachTheRoute() throws {
        let set = try Self.route(AutoRouteSettings(spliceMinBody: 2 << 20, splice: .measured))
        #expect(set?.autoSpliceMinBody == 2 << 20)
        #expect(set?.autoSplice == .measured)
        let unset = try Self.route(AutoRouteSettings())
        #expect(unset?.autoSpliceMinBody == RouteConfig.defaultAutoSpliceMinBody)
        #expect(unset?.autoSplice == .size)
    }
}
