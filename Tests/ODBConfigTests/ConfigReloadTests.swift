import Testing
@testable import ODBConfig

@Suite struct ConfigReloadTests {
    func parse(_ prefix: String, listen: String = ":8080", servers: String = "127.0.0.1:9000") throws -> RelayConfig {
        try RelayConfig.parse(yaml: prefix + """

            listeners:
              - listen: \(listen)
                routes:
                  - upstream: api
            upstreams:
              api:
                servers: [\(servers)]
            """, fileName: "relay.yaml")
    }

    @Test func routesPoolsTimeoutsAndLogLevelReloadInPlace() throws {
        let running = try parse("workers: 2\nlog:\n  level: info")
        let new = try parse("workers: 2\ntimeouts:\n  idle: 5s\nlimits:\n  max_headers: 50\nlog:\n  level: debug\n  access_log: false",
                            servers: "127.0.0.1:9001, 127.0.0.1:9002")
        #expect(running.settingsNeedingRestart(for: new).isEmpty)
    }

    @Test func startupSettingsAreNamed() throws {
        let running = try parse("workers: 2\nuser: odb\nadmin:\n  listen: 127.0.0.1:9901")
        let new = try parse("workers: 3\nuser: nobody\ngroup: nogroup\npin_dir: /sys/fs/bpf/other\nadmin:\n  listen: 127.0.0.1:9902\nlog:\n  format: json",
                            listen: ":8081")
        #expect(running.settingsNeedingRestart(for: new) == [
            "workers", "pin_dir", "user", "group", "admin", "log.format", "listeners[].listen",
        ])
    }

    @Test func groupNeedsUser() throws {
        let error = try #require(configError("group: odb\n" + minimalYAML))
        #expect(error.description.hasPrefix("relay.yaml:1:8: "), "\(error)")
        #expect(error.reason.contains("\"user\""))
        #expect(try RelayConfig.parse(yaml: "user: odb\ngroup: odb\n" + minimalYAML, fileName: "relay.yaml").group == "odb")
    }
}
