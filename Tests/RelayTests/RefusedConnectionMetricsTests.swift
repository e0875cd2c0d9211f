import Foundation
import ODBTestSupport
import Testing

extension RelayTests.Metrics {
    /// A connection refused over `limits.max_connections` is counted once, under the same
    /// name in `status --json` and on /metrics, and the status entry keeps its shape.
    @Test func aRefusedConnectionIsCountedInStatusAndMetrics() throws {
        let origin = try NginxOrigin(fileSizes: [Self.smallSize])
        let admin = freePort()
        let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], mode: "kernel", extraTop: """
            admin:
              listen: "127.0.0.1:\(admin)"
            limits:
              max_connections: 1
            """)
        let admitted = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
        defer { admitted.close() }
        #expect(try fetchAndCompare(admitted, size: Self.smallSize).ok)
        let refused = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
        defer { refused.close() }
        #expect(try refused.readResponse().status == 503)

        let metrics = try Self.scrape(admin) { $0["odb_refused_connections_total"] == 1 }
        #expect(metrics["odb_refused_connections_total"] == 1, "\(metrics)")
        let entry = try #require(try relay.statusEntry())
        #expect(entry["refused_connections"] as? Int == 1, "\(entry)")
        #expect(entry.keys.sorted() == [
            "active_connections", "active_flows", "alive", "body_bytes", "fallbacks", "limit_closes", "pid",
            "refused_connections", "rejected_requests", "requests", "responses_by_class", "upstream_errors",
        ])
        let fallbacks = entry["fallbacks"] as? [String: Int] ?? [:]
        #expect(fallbacks.keys.sorted() == ["buffer_memory", "kernel_selftest", "small_body", "unparsed", "unsupported"])
        #expect(entry["responses_by_class"] as? [String: Int] == ["2xx": 1], "classes with no response are left out")
    }
}
