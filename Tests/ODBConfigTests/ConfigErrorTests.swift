import Testing
@testable import ODBConfig

@Suite struct ConfigErrorTests {
    @Test func descriptionOmitsUnknownPosition() {
        #expect(ConfigError(file: "relay.yaml", line: 12, column: 5, reason: "boom").description == "relay.yaml:12:5: boom")
        #expect(ConfigError(file: "relay.yaml", line: 12, reason: "boom").description == "relay.yaml:12: boom")
        #expect(ConfigError(file: "relay.yaml", reason: "boom").description == "relay.yaml: boom")
    }

    @Test func scannerErrorKeepsPosition() throws {
        let error = try #require(configError("""
            workers: 2
            log:
              level: "info
            """))
        #expect(error.file == "relay.yaml")
        #expect(error.line != nil && error.column != nil)
        #expect(error.reason.hasPrefix("invalid YAML"))
        #expect(error.reason.contains("quoted scalar"))
    }

    @Test func parserErrorPointsAtTheBadLine() throws {
        let error = try #require(configError("""
            workers: 2
            log:
              level: info
             format: text
            """))
        #expect(error.line == 4)
        #expect(error.reason.hasPrefix("invalid YAML"))
    }

    @Test func readerErrorIsLocatedFromItsOffset() throws {
        let error = try #require(configError("workers: 2\nuser: a\u{1}b\n"))
        #expect(error.line == 2)
        #expect(error.column == 8)
        #expect(error.reason.contains("control characters"))
    }

    /// The error points at the repeat, the line to fix, and names the first occurrence's.
    @Test func duplicateKeyIsNamedAtItsRepeat() throws {
        let error = try #require(configError("workers: 2\nuser: a\n# workers: 4\n\nworkers: 3\n"))
        #expect(error.line == 5 && error.column == 1, "\(error)")
        #expect(error.reason == "duplicate key \"workers\" in the same mapping; it first appears on line 1", "\(error)")
    }

    /// A key of one sequence item is no repeat of the same key in the item before it.
    @Test func duplicateKeyInANestedMappingIsFoundInItsOwnMapping() throws {
        let error = try #require(configError("""
            listeners:
              - listen: :8080
                routes: []
              - listen: :8081
                "listen" : :8082
            """))
        #expect(error.line == 5 && error.column == 5, "\(error)")
        #expect(error.reason.hasSuffix("it first appears on line 4"), "\(error)")
    }

    /// A flow mapping's repeat shares the line, so the first occurrence is all the text can say.
    @Test func duplicateKeyInAFlowMappingNamesTheFirstOccurrence() throws {
        let error = try #require(configError("workers: 2\nlog: {level: info, level: debug}\n"))
        #expect(error.line == 2, "\(error)")
        #expect(error.reason == "duplicate key \"level\" in the same mapping", "\(error)")
    }

    @Test func unquotedWildcardHostGetsAHint() throws {
        let error = try #require(configError("""
            listeners:
              - listen: :8080
                routes:
                  - host: *.example.com
                    upstream: api
            upstreams:
              api:
                servers: [127.0.0.1:9000]
            """))
        #expect(error.line == 4)
        #expect(error.reason.contains("must be quoted"))
    }

    /// Each limit key refuses a bad value on its own line.
    @Test(arguments: [
        ("timeouts", "max_connection_age: 0s", "greater than zero"),
        ("timeouts", "max_exchange_time: 0s", "greater than zero"),
        ("timeouts", "max_exchange_time: soon", "invalid duration"),
        ("timeouts", "min_body_rate: fast", "min_body_rate"),
        ("timeouts", "min_body_rate_window: 0", "greater than zero"),
        ("limits", "max_connections_per_client: -1", "between 0 and"),
        ("limits", "max_requests_per_connection: many", "whole number"),
        ("limits", "kernel_buffer_memory: 1MiB", "between 16MiB and"),
        ("limits", "kernel_send_buffer: 512KiB", "between 1MiB and"),
    ])
    func limitKeyErrorNamesTheLine(section: String, line: String, reason: String) throws {
        let error = try #require(configError("workers: 2\n\(section):\n  \(line)\n" + minimalYAML))
        #expect(error.line == 3, "\(error)")
        #expect(error.reason.contains(reason), "\(error)")
    }

    @Test func http2PriorKnowledgeKeyErrorNamesTheLine() throws {
        let error = try #require(configError("""
            listeners:
              - listen: :8080
                routes:
                  - upstream: api
                    allow_http2_prior_knowledge: yes
            upstreams:
              api:
                servers: [127.0.0.1:9000]
            """))
        #expect(error.line == 5)
        #expect(error.reason.contains("allow_http2_prior_knowledge"))
    }
}
