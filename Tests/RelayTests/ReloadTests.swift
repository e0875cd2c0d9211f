import Foundation
import Glibc
import ODBTestSupport
import Testing

extension RelayTests {
    /// SIGHUP: a new configuration for every request from then on, on new and open connections;
    /// exchanges in flight finish undisturbed; a bad file changes nothing.
    @Suite struct Reload {
        static let longSize = 67_108_864

        /// Answers every request with "from-scripted", to tell it apart from nginx.
        static let scripted = """
            def answer(conn, head, data):
                conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 13\\r\\n\\r\\nfrom-scripted")
                return data
            """

        /// Two pools; the only route goes to `upstream`.
        static func yaml(port: Int, admin: Int, upstream: String, nginx: Int, scripted: Int,
                         workers: Int = 2, mode: String = "kernel") -> String {
            """
            workers: \(workers)
            admin:
              listen: "127.0.0.1:\(admin)"
            log:
              level: info
              access_log: false
            listeners:
              - listen: "127.0.0.1:\(port)"
                routes:
                  - upstream: \(upstream)
                    mode: \(mode)
            upstreams:
              nginx:
                servers: ["127.0.0.1:\(nginx)"]
              scripted:
                servers: ["127.0.0.1:\(scripted)"]
            """
        }

        @Test func changedRouteTakesEveryNextRequestWhileAnOpenDownloadCompletesExactly() throws {
            let nginx = try NginxOrigin(fileSizes: [1000, Self.longSize])
            let scripted = try ScriptedOrigin(handler: Self.scripted)
            let admin = freePort()
            let relay = try RelayProcess { port in
                Self.yaml(port: port, admin: admin, upstream: "nginx", nginx: nginx.port, scripted: scripted.port)
            }
            let old = try TestHTTPClient(port: relay.port)
            defer { old.close() }
            var fresh: TestHTTPClient.Response?
            var reloaded = false
            try old.send("GET /files/\(Self.longSize).bin HTTP/1.1\r\nHost: test\r\n\r\n")
            let long = try old.readResponse { received in
                guard received >= 8 << 20, !reloaded else { return 0 }
                reloaded = true
                try? relay.rewriteConfig(Self.yaml(port: relay.port, admin: admin, upstream: "scripted",
                                                   nginx: nginx.port, scripted: scripted.port))
                relay.signal(SIGHUP)
                if relay.waitForLog("configuration reloaded") {
                    fresh = try? TestHTTPClient(port: relay.port).get("/files/1000.bin")
                }
                return 0
            }
            #expect(long.status == 200)
            #expect(long.body == (try TestContent.bytes(size: Self.longSize)), "the download begun before the reload is exact")
            #expect(fresh?.body == Array("from-scripted".utf8), "a connection opened after the reload takes the new route: \(relay.log)")
            #expect(try old.get("/files/1000.bin").body == Array("from-scripted".utf8),
                    "the open connection's next request is routed by the reloaded configuration")
            let metrics = try MetricsScrape.settled(port: admin)
            #expect(metrics["odb_config_reloads_total{result=\"applied\"}"] == 1)
            #expect(metrics["odb_active_kernel_flows"] == 0, "no flow outlives its exchange")
            let ownSet = "\(relay.pinRoot)/relay-\(relay.pid)"
            #expect(relay.stopsGracefully())
            #expect(!FileManager.default.fileExists(atPath: ownSet), "its pins are gone after exit")
        }

        /// A route a reload removed serves no further request, also on a keep-alive connection
        /// opened before the reload.
        @Test func removedRouteServesNoFurtherRequestOnAnOpenConnection() throws {
            let nginx = try NginxOrigin(fileSizes: [1000])
            let scripted = try ScriptedOrigin(handler: Self.scripted)
            let admin = freePort()
            let both = { (port: Int) in
                Self.yaml(port: port, admin: admin, upstream: "scripted", nginx: nginx.port, scripted: scripted.port)
                    .replacingOccurrences(of: "    routes:\n", with: "    routes:\n      - path_prefix: /files/\n        upstream: nginx\n")
            }
            let relay = try RelayProcess { port in both(port) }
            let open = try TestHTTPClient(port: relay.port)
            defer { open.close() }
            #expect(try fetchAndCompare(open, size: 1000).ok, "before the reload /files/ goes to nginx")
            try relay.rewriteConfig(Self.yaml(port: relay.port, admin: admin, upstream: "scripted",
                                              nginx: nginx.port, scripted: scripted.port))
            relay.signal(SIGHUP)
            #expect(relay.waitForLog("configuration reloaded"))
            let after = try open.get("/files/1000.bin")
            #expect(after.body == Array("from-scripted".utf8), "the removed /files/ route is gone for the open connection too")
        }

        @Test func brokenFileIsRefusedWithItsLineAndTheRunningConfigurationServes() throws {
            let nginx = try NginxOrigin(fileSizes: [1000])
            let scripted = try ScriptedOrigin(handler: Self.scripted)
            let admin = freePort()
            let relay = try RelayProcess { port in
                Self.yaml(port: port, admin: admin, upstream: "nginx", nginx: nginx.port, scripted: scripted.port)
            }
            let good = Self.yaml(port: relay.port, admin: admin, upstream: "scripted", nginx: nginx.port, scripted: scripted.port)
            let typo = good.replacingOccurrences(of: "mode: kernel", with: "mode: kernal")
            let typoLine = try #require(typo.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("kernal") }) + 1
            let unparsable = good.replacingOccurrences(of: "servers: [\"127.0.0.1:\(scripted.port)\"]", with: "servers: [\"127.0.0.1:1\"")
            let moreWorkers = Self.yaml(port: relay.port, admin: admin, upstream: "scripted", nginx: nginx.port,
                                        scripted: scripted.port, workers: 3)
            for (refusals, yaml) in [typo, unparsable, moreWorkers].enumerated() {
                try relay.rewriteConfig(yaml)
                relay.signal(SIGHUP)
                #expect(relay.waitForLog("configuration reload refused", count: refusals + 1), "\(relay.log)")
                let client = try TestHTTPClient(port: relay.port)
                defer { client.close() }
                #expect(try fetchAndCompare(client, size: 1000).ok, "the running configuration still routes to nginx")
            }
            #expect(relay.log.contains("\(relay.configPath):\(typoLine):"), "the refusal names file and line: \(relay.log)")
            #expect(relay.log.contains("\"kernal\""))
            #expect(relay.log.contains("changing workers needs a restart"))
            let metrics = try MetricsScrape(port: admin)
            #expect(metrics["odb_config_reloads_total{result=\"refused\"}"] == 3)
            #expect(metrics["odb_config_reloads_total{result=\"applied\"}"] == 0)
            #expect(!relay.log.contains("configuration reloaded"))

            try relay.rewriteConfig(good)
            relay.signal(SIGHUP)
            #expect(relay.waitForLog("configuration reloaded"))
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            #expect(try client.get("/files/1000.bin").body == Array("from-scripted".utf8), "a fixed file applies")
        }
    }
}
