import Foundation
import Testing
@testable import ODBConfig

@Suite struct RelayConfigTests {
    @Test func minimalFileTakesDefaults() throws {
        let config = try RelayConfig.parse(yaml: minimalYAML, fileName: "relay.yaml")
        #expect(config.workers == RelayConfig.onlineCPUs)
        #expect(config.pinDirectory == "/sys/fs/bpf/odb-redirect")
        #expect(config.user == nil)
        #expect(config.admin == nil)
        #expect(config.timeouts == Timeouts())
        #expect(config.limits == Limits())
        #expect(config.log == LogConfig())
        #expect(config.listeners == [ListenerConfig(listen: Endpoint(host: "", port: 8080),
                                                    routes: [RouteConfig(upstream: "api")])])
    }

    @Test func emptySectionsKeepDefaults() throws {
        let config = try RelayConfig.parse(yaml: "timeouts:\nlimits:\nlog:\n" + minimalYAML, fileName: "relay.yaml")
        #expect(config.timeouts == Timeouts())
        #expect(config.limits == Limits())
    }

    @Test func typoInTopLevelKeyIsReportedAtItsLine() throws {
        let error = try #require(configError("""
            listeners:
              - listen: :8080
                routes:
                  - upstream: api
            log:
              level: info
            upstreamz:
              api:
                servers: [127.0.0.1:9000]
            """))
        #expect(error.description.hasPrefix("relay.yaml:7:1: "))
        #expect(error.reason.contains("\"upstreamz\""))
        #expect(error.reason.contains("did you mean \"upstreams\""))
    }

    @Test func trustForwardedIsOffUnlessAListenerSaysSo() throws {
        let config = try RelayConfig.parse(yaml: """
            listeners:
              - listen: :8080
                routes:
                  - upstream: api
              - listen: :8081
                trust_forwarded: true
                routes:
                  - upstream: api
            upstreams:
              api:
                servers: [127.0.0.1:9000]
            """, fileName: "relay.yaml")
        #expect(config.listeners.map(\.trustForwarded) == [false, true])
        let error = try #require(configError("""
            listeners:
              - listen: :8080
                trust_forwarded: maybe
                routes:
                  - upstream: api
            upstreams:
              api:
                servers: [127.0.0.1:9000]
            """))
        #expect(error.line == 3)
    }

    @Test func unknownNestedKeyIsReported() throws {
        let error = try #require(configError("""
            listeners:
              - listen: :8080
                routes:
                  - upstream: api
                    flow_budgett: 1MiB
            upstreams:
              api:
                servers: [127.0.0.1:9000]
            """))
        #expect(error.line == 5)
        #expect(error.column == 9)
        #expect(error.reason.contains("\"flow_budgett\" in route"))
        #expect(error.reason.contains("did you mean \"flow_budget\""))
    }

    @Test func unrelatedUnknownKeyListsTheValidOnes() throws {
        let error = try #require(configError("zzz: 1\n" + minimalYAML))
        #expect(error.line == 1)
        #expect(error.reason.contains("\"zzz\""))
        #expect(error.reason.contains("expected one of workers, pin_dir"))
    }

    @Test func wrongTypeNamesKeyAndValue() throws {
        let error = try #require(configError("workers: many\n" + minimalYAML))
        #expect(error.description == "relay.yaml:1:10: workers: expected a whole number, got \"many\"")
    }

    @Test func mappingWhereListExpected() throws {
        let error = try #require(configError("""
            listeners:
              listen: :8080
            upstreams:
              api:
                servers: [127.0.0.1:9000]
            """))
        #expect(error.line == 2)
        #expect(error.reason == "listeners: expected a list, got a mapping")
    }

    @Test func outOfRangeNumber() throws {
        let error = try #require(configError("workers: 0\n" + minimalYAML))
        #expect(error.reason == "workers: must be between 1 and 1024, got 0")
    }

    @Test func badEnumValueIsReportedAtTheValue() throws {
        let error = try #require(configError("""
            listeners:
              - listen: :8080
                routes:
                  - upstream: api
                    mode: kernal
            upstreams:
              api:
                servers: [127.0.0.1:9000]
            """))
        #expect(error.line == 5)
        #expect(error.column == 15)
        #expect(error.reason == "mode: unknown value \"kernal\"; expected one of kernel, splice, copy, auto")
    }

    @Test func badBoolean() throws {
        let error = try #require(configError("log:\n  access_log: yes\n" + minimalYAML))
        #expect(error.line == 2)
        #expect(error.reason == "access_log: expected true or false, got \"yes\"")
    }

    @Test func undefinedUpstreamIsReportedAtTheReference() throws {
        let error = try #require(configError("""
            listeners:
              - listen: :8080
                routes:
                  - upstream: apx
            upstreams:
              api:
                servers: [127.0.0.1:9000]
            """))
        #expect(error.line == 4)
        #expect(error.column == 19)
        #expect(error.reason.contains("undefined upstream \"apx\""))
        #expect(error.reason.contains("api"))
    }

    @Test func upstreamWithoutServersKey() throws {
        let error = try #require(configError("""
            listeners:
              - listen: :8080
                routes:
                  - upstream: api
            upstreams:
              api:
                max_idle_per_server: 4
            """))
        #expect(error.description == "relay.yaml:6:3: upstream \"api\" has no servers")
    }

    @Test func upstreamWithEmptyServerList() throws {
        let error = try #require(configError("""
            listeners:
              - listen: :8080
                routes:
                  - upstream: api
            upstreams:
              api:
                servers: []
            """))
        #expect(error.description == "relay.yaml:7:14: upstream \"api\" has no servers")
    }

    @Test func serverWithoutHostOrListedTwice() throws {
        let wildcard = try #require(configError(minimalYAML.replacingOccurrences(of: "[127.0.0.1:9000]", with: "[\":9000\"]")))
        #expect(wildcard.line == 7)
        #expect(wildcard.reason.contains("needs a host"))
        let twice = try #require(configError(minimalYAML.replacingOccurrences(
            of: "[127.0.0.1:9000]", with: "[127.0.0.1:9000, 127.0.0.1:9000]")))
        #expect(twice.reason.contains("listed twice"))
    }

    @Test func unknownKeyInUpstreamNamesThePool() throws {
        let error = try #require(configError(minimalYAML + "\n    fail_timout: 5s\n"))
        #expect(error.line == 8)
        #expect(error.reason == "unknown key \"fail_timout\" in upstream \"api\"; did you mean \"fail_timeout\"?")
    }

    @Test func invalidServerAddress() throws {
        let error = try #require(configError(minimalYAML.replacingOccurrences(of: "127.0.0.1:9000", with: "127.0.0.1:99999")))
        #expect(error.line == 7)
        #expect(error.reason.contains("servers: port must be between 1 and 65535"))
    }

    @Test func duplicateListenAddress() throws {
        let error = try #require(configError("""
            listeners:
              - listen: 127.0.0.1:8080
                routes:
                  - upstream: api
              - listen: 127.0.0.1:8080
                routes:
                  - upstream: api
            upstreams:
              api:
                servers: [127.0.0.1:9000]
            """))
        #expect(error.line == 5)
        #expect(error.column == 13)
        #expect(error.reason.contains("127.0.0.1:8080"))
        #expect(error.reason.contains("line 2"))
    }

    @Test func allAddressesListenerConflictsWithSpecificOneOnSamePort() throws {
        let error = try #require(configError("""
            listeners:
              - listen: :8080
                routes:
                  - upstream: api
              - listen: 127.0.0.1:8080
                routes:
                  - upstream: api
              - listen: 127.0.0.1:8081
                routes:
                  - upstream: api
            upstreams:
              api:
                servers: [127.0.0.1:9000]
            """))
        #expect(error.line == 5)
    }

    @Test func adminMayNotShareAListenerAddress() throws {
        let error = try #require(configError("admin:\n  listen: 127.0.0.1:8080\n" + minimalYAML))
        #expect(error.description == "relay.yaml:2:11: listen: admin address 127.0.0.1:8080 conflicts with listener :8080")
    }

    @Test func adminRequiresListen() throws {
        let error = try #require(configError("admin:\n  metrics: false\n" + minimalYAML))
        #expect(error.line == 2)
        #expect(error.reason == "admin: missing required key \"listen\" or \"socket\"")
    }

    @Test func duplicateRoute() throws {
        let error = try #require(configError("""
            listeners:
              - listen: :8080
                routes:
                  - upstream: api
                    path_prefix: /a/
                  - upstream: api
                    path_prefix: /a/
            upstreams:
              api:
                servers: [127.0.0.1:9000]
            """))
        #expect(error.line == 6)
        #expect(error.reason.contains("path_prefix \"/a/\""))
        #expect(error.reason.contains("line 4"))
    }

    @Test func routeWithoutUpstreamOrWithBadPrefix() throws {
        let missing = try #require(configError(minimalYAML.replacingOccurrences(of: "- upstream: api", with: "- mode: copy")))
        #expect(missing.line == 4)
        #expect(missing.reason == "route: missing required key \"upstream\"")
        let prefix = try #require(configError(minimalYAML.replacingOccurrences(
            of: "- upstream: api", with: "- upstream: api\n        path_prefix: api")))
        #expect(prefix.line == 5)
        #expect(prefix.reason.contains("path_prefix"))
    }

    @Test func listenersRequired() throws {
        let missing = try #require(configError("upstreams:\n  api:\n    servers: [127.0.0.1:9000]\n"))
        #expect(missing.line == 1)
        #expect(missing.reason.contains("missing required key \"listeners\""))
        let empty = try #require(configError("listeners: []\nupstreams:\n  api:\n    servers: [127.0.0.1:9000]\n"))
        #expect(empty.line == 1)
        #expect(empty.reason.contains("at least one listener"))
    }

    @Test func listenerWithoutRoutes() throws {
        let error = try #require(configError(minimalYAML.replacingOccurrences(of: "routes:\n      - upstream: api", with: "routes: []")))
        #expect(error.line == 3)
        #expect(error.reason.contains("no routes"))
    }

    @Test func emptyFileAndNonMappingRoot() throws {
        #expect(configError("")?.description.hasPrefix("relay.yaml: the file is empty") == true)
        let list = try #require(configError("- a\n- b\n"))
        #expect(list.line == 1)
        #expect(list.reason.contains("expected a mapping"))
    }

    @Test func durationsAreValidated() throws {
        let zero = try #require(configError("timeouts:\n  connect: 0s\n" + minimalYAML))
        #expect(zero.description == "relay.yaml:2:12: connect: must be greater than zero, got 0s")
        let unit = try #require(configError("timeouts:\n  idle: 5x\n" + minimalYAML))
        #expect(unit.line == 2)
        #expect(unit.reason.contains("unknown duration unit \"x\""))
        let parsed = try RelayConfig.parse(yaml: "timeouts:\n  head_read: 250ms\n  idle: 2m\n  connect: 3\n" + minimalYAML,
                                           fileName: "relay.yaml")
        #expect(parsed.timeouts.headRead == .milliseconds(250))
        #expect(parsed.timeouts.idle == .seconds(120))
        #expect(parsed.timeouts.connect == .seconds(3))
    }

    @Test func sizesAreValidated() throws {
        let decimal = try #require(configError("limits:\n  max_head_bytes: 64KB\n" + minimalYAML))
        #expect(decimal.line == 2)
        #expect(decimal.reason.contains("unknown size unit \"KB\""))
        let small = try #require(configError("limits:\n  max_head_bytes: 512\n" + minimalYAML))
        #expect(small.reason == "max_head_bytes: must be between 1KiB and 1MiB, got 512")
        let budget = try #require(configError(minimalYAML.replacingOccurrences(
            of: "- upstream: api", with: "- upstream: api\n        flow_budget: 128KiB")))
        #expect(budget.line == 5)
        #expect(budget.reason.contains("between 256KiB and 1GiB"))
    }

    @Test func autoModeTakesItsOwnThresholds() throws {
        let parsed = try RelayConfig.parse(yaml: minimalYAML.replacingOccurrences(
            of: "- upstream: api", with: "- upstream: api\n        mode: auto\n        auto_splice_min_body: 256KiB\n        auto_local_splice_min_body: 1MiB\n        auto_min_body: 512KiB\n        kernel_max_body: 2MiB"),
            fileName: "relay.yaml")
        let route = try #require(parsed.listeners.first?.routes.first)
        #expect(route.mode == .auto)
        #expect(route.autoSpliceMinBody == 256 << 10)
        #expect(route.autoLocalSpliceMinBody == 1 << 20)
        #expect(route.autoMinBody == 512 << 10)
        #expect(route.kernelMaxBody == 2 << 20)
        #expect(route.kernelMinBody == 64 << 10)
        let defaults = try #require(RelayConfig.parse(yaml: minimalYAML, fileName: "relay.yaml").listeners.first?.routes.first)
        #expect(defaults.autoSpliceMinBody == RouteConfig.defaultAutoSpliceMinBody)
        #expect(defaults.autoLocalSpliceMinBody == RouteConfig.defaultAutoLocalSpliceMinBody)
        #expect(defaults.autoMinBody == RouteConfig.defaultAutoMinBody)
        #expect(defaults.kernelMaxBody == RouteConfig.defaultKernelMaxBody)
        let negative = try #require(configError(minimalYAML.replacingOccurrences(
            of: "- upstream: api", with: "- upstream: api\n        auto_min_body: -1")))
        #expect(negative.line == 5)
        #expect(negative.reason.hasPrefix("auto_min_body:"))
    }

    @Test func loadNamesTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("odbconfig-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("relay.yaml").path
        try minimalYAML.write(toFile: good, atomically: true, encoding: .utf8)
        #expect(try RelayConfig.load(path: good).listeners.count == 1)

        let bad = directory.appendingPathComponent("bad.yaml").path
        try ("workers: -1\n" + minimalYAML).write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(throws: ConfigError(file: bad, line: 1, column: 10, reason: "workers: must be between 1 and 1024, got -1")) {
            try RelayConfig.load(path: bad)
        }

        let missing = directory.appendingPathComponent("missing.yaml").path
        #expect(throws: ConfigError(file: missing, reason: "cannot read file: No such file or directory")) {
            try RelayConfig.load(path: missing)
        }
    }

    @Test func overridingReplacesWorkersAndEveryRouteMode() throws {
        let config = try RelayConfig.parse(yaml: ConfigExample.yaml, fileName: "example.yaml")
        let overridden = try config.overriding(workers: 7, mode: .copy)
        #expect(overridden.workers == 7)
        #expect(overridden.listeners.flatMap(\.routes).allSatisfy { $0.mode == .copy })
        #expect(overridden.listeners.flatMap(\.routes).map(\.upstream) == config.listeners.flatMap(\.routes).map(\.upstream))
        #expect(try config.overriding() == config)
        #expect(throws: ConfigError(file: "--workers", reason: "must be between 1 and 1024, got 0")) {
            try config.overriding(workers: 0)
        }
    }
}
