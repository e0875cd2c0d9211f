import Foundation
import ODBTestSupport
import Testing

extension RelayTests.Metrics {
    /// Connections refused over `limits.max_connections` are counted alike in `status --json`
    /// and on /metrics, and the status entry keeps its shape.
    @Test func aRefusedConnectionIsCountedInStatusAndMetrics() throws {
        let origin = try NginxOrigin(fileSizes: [Self.smallSize])
        let admin = freePort()
        let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel),
                                     admin: .listen("127.0.0.1:\(admin)"), limits: [.maxConnections(1)])
        // The start-up probe of the port can hold the one place until the relay sees it closed.
        var holder: TestHTTPClient?
        for _ in 0..<50 where holder == nil {
            let client = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            if (try? fetchAndCompare(client, size: Self.smallSize).ok) == true {
                holder = client
            } else {
                client.close()
                usleep(100_000)
            }
        }
        let admitted = try #require(holder, "a client is admitted once the probe is gone")
        defer { admitted.close() }
        let refused = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
        defer { refused.close() }
        #expect(try refused.readResponse().status == 503)

        _ = try MetricsScrape.waiting(port: admin, for: "a refusal is counted") {
            ($0["odb_refused_connections_total"] ?? 0) >= 1
        }
        let metrics = try MetricsScrape.settled(port: admin)
        let entry = try #require(try relay.statusEntry())
        let counted = try #require(metrics["odb_refused_connections_total"], "\(metrics)")
        #expect(counted >= 1)
        #expect(entry["refused_connections"] as? Int == Int(counted), "\(entry)")
        #expect(entry.keys.sorted() == [
            "active_connections", "active_flows", "alive", "body_bytes", "claims_in_flight", "fallbacks", "held_payload_bytes",
            "held_payloads", "limit_closes", "pid", "refused_connections", "rejected_requests", "requests", "responses_by_class",
            "spare_splice_pipes", "upstream_errors", "virtual_payloads",
        ])
        let fallbacks = entry["fallbacks"] as? [String: Int] ?? [:]
        #expect(fallbacks.keys.sorted() == ["buffer_memory", "kernel_selftest", "small_body", "splice_pipe", "unparsed", "unsupported"])
        #expect(entry["responses_by_class"] as? [String: Int] == ["2xx": 1], "classes with no response are left out")
    }
}
