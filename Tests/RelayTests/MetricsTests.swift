import Foundation
import Glibc
import ODBTestSupport
import Testing

extension RelayTests {
    /// The admin endpoint: Prometheus counters that move with the bytes relayed and say exactly
    /// what `status` says.
    @Suite struct Metrics {
        static let kernelSizes = [1_048_577, 4_194_307]
        static let smallSize = 1000
        static let longSize = 67_108_864

        /// A kernel-mode relay with an admin endpoint in front of nginx.
        static func relay(origin: NginxOrigin, admin: Int) throws -> RelayProcess {
            try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel, kernelMinBody: "64KiB"),
                             admin: .listen("127.0.0.1:\(admin)"))
        }

        @Test func countersMoveWithTheBytesRelayed() throws {
            let origin = try NginxOrigin(fileSizes: Self.kernelSizes + [Self.smallSize, Self.longSize])
            let admin = freePort()
            let relay = try Self.relay(origin: origin, admin: admin)
            let before = try MetricsScrape(port: admin)
            #expect(before["odb_requests_total"] == 0)
            #expect(before["odb_body_bytes_total{path=\"kernel\"}"] == 0)

            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            for size in Self.kernelSizes + Self.kernelSizes + [Self.smallSize] {
                let result = try fetchAndCompare(client, size: size)
                #expect(result.ok, "\(result.detail)")
            }
            let first = try MetricsScrape.settled(port: admin)
            let kernelBodies = Double(2 * Self.kernelSizes.reduce(0, +))
            #expect(Self.bodyBytes(first) == kernelBodies + Double(Self.smallSize), "every body byte counted once: \(first)")
            #expect(Self.kernelBytes(first) >= 0.95 * kernelBodies, "bodies above kernel_min_body took the kernel path: \(first)")
            #expect(first["odb_requests_total"] == 5)
            #expect(first["odb_responses_total{class=\"2xx\"}"] == 5)
            #expect(first["odb_fallbacks_total{reason=\"small_body\"}"] == 1, "the 1000-byte body was copied")
            #expect(first["odb_request_head_handling_seconds_count"] == 5)

            // Mid-download: the paused client holds a connection and a kernel flow open.
            var during: MetricsScrape?
            try client.send("GET /files/\(Self.longSize).bin HTTP/1.1\r\nHost: test\r\n\r\n")
            let long = try client.readResponse { received in
                if received >= 4 << 20 && during == nil {
                    during = try? MetricsScrape.waiting(port: admin, for: "the request in progress counts with its kernel flow") {
                        $0["odb_requests_total"] == 6 && ($0["odb_active_kernel_flows"] ?? 0) >= 1
                    }
                }
                return 0
            }
            #expect(long.body == (try TestContent.bytes(size: Self.longSize)), "the 64 MiB body arrives exact")
            let midway = try #require(during)
            #expect(midway["odb_requests_total"] == 6, "the request in progress counts: \(midway)")
            #expect(midway["odb_active_kernel_flows"] == 1, "\(midway)")
            #expect(midway["odb_active_connections"] == 1, "\(midway)")

            let after = try MetricsScrape.settled(port: admin)
            #expect(Self.bodyBytes(after) - Self.bodyBytes(first) == Double(Self.longSize), "\(after)")
            // A paused reader puts the target over its budget: those skbs are handed to
            // user space and copied, the rest stays in the kernel.
            #expect(Self.kernelBytes(after) - Self.kernelBytes(first) >= Double(Self.longSize) / 2, "\(after)")
            #expect(after["odb_requests_total"] == 6)
            #expect(after["odb_responses_total{class=\"2xx\"}"] == 6)
            #expect(after["odb_request_head_handling_seconds_count"] == 6)
            #expect(after["odb_active_kernel_flows"] == 0)
            #expect(after["odb_upstream_errors_total"] == 0)
        }

        static func kernelBytes(_ scrape: MetricsScrape) -> Double {
            scrape["odb_body_bytes_total{path=\"kernel\"}"] ?? 0
        }

        static func bodyBytes(_ scrape: MetricsScrape) -> Double {
            ["kernel", "splice", "copy"].map { scrape["odb_body_bytes_total{path=\"\($0)\"}"] ?? 0 }.reduce(0, +)
        }

        @Test func namesFollowPrometheusConventions() throws {
            let origin = try NginxOrigin(fileSizes: [Self.smallSize])
            let admin = freePort()
            let relay = try Self.relay(origin: origin, admin: admin)
            defer { withExtendedLifetime(relay) {} }
            let scrape = try MetricsScrape(port: admin)
            for (name, type) in scrape.types {
                #expect(name.hasPrefix("odb_"), "\(name)")
                #expect(name.hasSuffix("_total") == (type == "counter"), "\(name) is a \(type)")
            }
            #expect(scrape.types["odb_request_head_handling_seconds"] == "histogram")
            #expect(scrape.types["odb_active_connections"] == "gauge")
            #expect(scrape.types["odb_active_kernel_flows"] == "gauge")
            for series in ["odb_fallbacks_total{reason=\"small_body\"}", "odb_fallbacks_total{reason=\"unsupported\"}",
                           "odb_fallbacks_total{reason=\"kernel_selftest\"}",
                           "odb_flow_control_pauses_total", "odb_upstream_errors_total", "odb_rejected_requests_total",
                           "odb_refused_connections_total", "odb_overlap_skbs_total", "odb_overlap_bytes_trimmed_total",
                           "odb_responses_total{class=\"5xx\"}", "odb_body_bytes_total{path=\"splice\"}",
                           "odb_limit_closes_total{limit=\"max_exchange_time\"}",
                           "odb_limit_closes_total{limit=\"min_body_rate\"}", "odb_limit_closes_total{limit=\"per_client\"}"] {
                #expect(scrape[series] == 0, "\(series) is exported from the start")
            }
            let other = try TestHTTPClient(port: admin)
            defer { other.close() }
            #expect(try other.get("/").status == 404, "the admin endpoint serves only /metrics")
        }

        @Test func anAdminFloodHoldsFewDescriptorsAndRelayedTrafficGoesOn() throws {
            let origin = try NginxOrigin(fileSizes: [Self.smallSize])
            let admin = freePort()
            let relay = try Self.relay(origin: origin, admin: admin)
            let before = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(relay.pid)/fd").count
            let flood = try (0..<200).map { _ in try TestHTTPClient(port: admin, receiveTimeout: 5) }
            defer { flood.forEach { $0.close() } }
            // The relay has taken every flood connection off its listener, closing those over the
            // cap at accept.
            try waitUntil("the admin listener's accept queue to empty") {
                TCPSocketRow.all().contains { $0.localPort == admin && $0.state == .listen && $0.receiveQueue == 0 }
            }
            let during = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(relay.pid)/fd").count
            // 16 admin connections, plus whatever else the relay opened meanwhile; far from 200.
            #expect(during - before <= 40, "200 idle admin connections hold \(during - before) of the relay's descriptors")
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            #expect(try fetchAndCompare(client, size: Self.smallSize).ok, "relayed traffic is served during the flood")
            #expect(flood.last?.isClosedByPeer() == true, "admin connections over the cap are closed")
        }

        @Test func metricsAreServedOnAUnixSocketOnlyItsOwnerMayUse() throws {
            let origin = try NginxOrigin(fileSizes: [Self.smallSize])
            let path = NSTemporaryDirectory() + "odb-admin-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel),
                                         admin: .socket(path))
            var info = stat()
            #expect(lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK, "the admin socket exists")
            #expect(info.st_mode & 0o777 == 0o600, "mode \(String(info.st_mode & 0o777, radix: 8))")
            let scrape = try CommandRunner.run("/usr/bin/curl", ["-sS", "--unix-socket", path, "http://admin/metrics"])
            #expect(scrape.status == 0, "\(scrape.stderr)")
            #expect(scrape.stdout.contains("odb_requests_total"), "\(scrape.stdout)")
            #expect(relay.stopsGracefully())
            #expect(lstat(path, &info) != 0, "the socket file is removed at exit")
        }

        @Test func statusAndMetricsShowTheSameCounters() throws {
            let origin = try NginxOrigin(fileSizes: Self.kernelSizes + [Self.smallSize])
            let admin = freePort()
            let relay = try Self.relay(origin: origin, admin: admin)
            let client = try TestHTTPClient(port: relay.port)
            for size in Self.kernelSizes + [Self.smallSize] {
                #expect(try fetchAndCompare(client, size: size).ok)
            }
            #expect(try client.get("/files/missing.bin").status == 404)
            let bad = try TestHTTPClient(port: relay.port)
            try bad.send("GET / HTTP/1.1\r\nHost: test\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
            #expect(try bad.readResponse().status == 400)
            bad.close()
            let metrics = try MetricsScrape.settled(port: admin)
            let entry = try #require(try relay.statusEntry())
            let set = try #require(try relayPinSet(relay))
            client.close()

            let bytes = entry["body_bytes"] as? [String: Int] ?? [:]
            for path in ["kernel", "splice", "copy"] {
                #expect(metrics["odb_body_bytes_total{path=\"\(path)\"}"] == Double(bytes[path] ?? -1), "\(path): \(metrics) vs \(entry)")
            }
            let fallbacks = entry["fallbacks"] as? [String: Int] ?? [:]
            for reason in ["small_body", "unparsed", "unsupported", "kernel_selftest"] {
                #expect(metrics["odb_fallbacks_total{reason=\"\(reason)\"}"] == Double(fallbacks[reason] ?? -1), "\(reason)")
            }
            let classes = entry["responses_by_class"] as? [String: Int] ?? [:]
            for status in ["1xx", "2xx", "3xx", "4xx", "5xx"] {
                #expect(metrics["odb_responses_total{class=\"\(status)\"}"] == Double(classes[status] ?? 0), "\(status)")
            }
            #expect(classes["2xx"] == 3 && classes["4xx"] == 2, "\(classes)")
            #expect(metrics["odb_requests_total"] == Double(entry["requests"] as? Int ?? -1))
            #expect(metrics["odb_rejected_requests_total"] == Double(entry["rejected_requests"] as? Int ?? -1))
            #expect(metrics["odb_rejected_requests_total"] == 1)
            #expect(metrics["odb_refused_connections_total"] == Double(entry["refused_connections"] as? Int ?? -1))
            #expect(metrics["odb_upstream_errors_total"] == Double(entry["upstream_errors"] as? Int ?? -1))
            let limitCloses = entry["limit_closes"] as? [String: Int] ?? [:]
            #expect(limitCloses.keys.sorted() == ["max_age", "max_exchange_time", "max_requests", "min_body_rate", "per_client"])
            for (limit, count) in limitCloses {
                #expect(metrics["odb_limit_closes_total{limit=\"\(limit)\"}"] == Double(count), "\(limit)")
            }
            #expect(metrics["odb_active_connections"] == Double(entry["active_connections"] as? Int ?? -1))
            #expect(metrics["odb_active_kernel_flows"] == Double(entry["active_flows"] as? Int ?? -1))
            let counters = set["counters"] as? [String: Int] ?? [:]
            #expect(metrics["odb_flow_control_pauses_total"] == Double(counters["budget_passes"] ?? -1))
        }

        /// The `status --json` pin set holding this relay's entry.
        func relayPinSet(_ relay: RelayProcess) throws -> [String: Any]? {
            let result = try CommandRunner.odb("status", "--json", "--pin", relay.pinRoot)
            let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            return (report?["sets"] as? [[String: Any]])?.first { set in
                (set["relays"] as? [[String: Any]] ?? []).contains { ($0["pid"] as? Int) == Int(relay.pid) }
            }
        }
    }
}
