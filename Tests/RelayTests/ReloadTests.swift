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

        /// Two pools, nginx and scripted; `routes` (by default one to `upstream`) choose between them.
        static func config(port: Int, admin: Int, upstream: String, nginx: Int, scripted: Int, workers: Int = 2,
                           routes: [RouteOptions] = []) -> RelayConfigFile {
            RelayConfigFile(workers: workers, log: LogOptions(level: "info"), admin: .listen("127.0.0.1:\(admin)"),
                            listeners: [ListenerOptions(listen: "127.0.0.1:\(port)",
                                                        routes: routes + [RouteOptions(.kernel, upstream: upstream)])],
                            upstreams: [(name: "nginx", servers: ["127.0.0.1:\(nginx)"]),
                                        (name: "scripted", servers: ["127.0.0.1:\(scripted)"])])
        }

        @Test func changedRouteTakesEveryNextRequestWhileAnOpenDownloadCompletesExactly() throws {
            let nginx = try NginxOrigin(fileSizes: [1000, Self.longSize])
            let scripted = try ScriptedOrigin(handler: Self.scripted)
            let admin = freePort()
            let relay = try RelayProcess { port in
                Self.config(port: port, admin: admin, upstream: "nginx", nginx: nginx.port, scripted: scripted.port)
            }
            let old = try TestHTTPClient(port: relay.port)
            defer { old.close() }
            var fresh: TestHTTPClient.Response?
            var reloaded = false
            try old.send("GET /files/\(Self.longSize).bin HTTP/1.1\r\nHost: test\r\n\r\n")
            let long = try old.readResponse { received in
                guard received >= 8 << 20, !reloaded else { return 0 }
                reloaded = true
                try? relay.rewriteConfig(Self.config(port: relay.port, admin: admin, upstream: "scripted",
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
            let relay = try RelayProcess { port in
                Self.config(port: port, admin: admin, upstream: "scripted", nginx: nginx.port, scripted: scripted.port,
                            routes: [RouteOptions(upstream: "nginx", pathPrefix: "/files/")])
            }
            let open = try TestHTTPClient(port: relay.port)
            defer { open.close() }
            #expect(try fetchAndCompare(open, size: 1000).ok, "before the reload /files/ goes to nginx")
            try relay.rewriteConfig(Self.config(port: relay.port, admin: admin, upstream: "scripted",
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
                Self.config(port: port, admin: admin, upstream: "nginx", nginx: nginx.port, scripted: scripted.port)
            }
            // Broken files are raw text: the good file's YAML with one mistake each.
            let good = Self.config(port: relay.port, admin: admin, upstream: "scripted", nginx: nginx.port, scripted: scripted.port).yaml
            let typo = good.replacingOccurrences(of: "mode: kernel", with: "mode: kernal")
            let typoLine = try #require(typo.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("kernal") }) + 1
            let unparsable = good.replacingOccurrences(of: "servers: [\"127.0.0.1:\(scripted.port)\"]", with: "servers: [\"127.0.0.1:1\"")
            let moreWorkers = Self.config(port: relay.port, admin: admin, upstream: "scripted", nginx: nginx.port,
                                          scripted: scripted.port, workers: 3).yaml
            for (refusals, yaml) in [typo, unparsable, moreWorkers].enumerated() {
                try relay.rewriteConfig(yaml: yaml)
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

            try relay.rewriteConfig(yaml: good)
            relay.signal(SIGHUP)
            #expect(relay.waitForLog("configuration reloaded"))
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            #expect(try client.get("/files/1000.bin").body == Array("from-scripted".utf8), "a fixed file applies")
        }
    }
}
