import Foundation
import ODBTestSupport
import Testing

extension RelayTests {
    /// Bodies arrive byte-exact in every mode, over keep-alive and pipelined connections.
    @Suite struct BodyIntegrity {
        @Test(arguments: relayModes)
        func everySizeArrivesExactlyOverOneConnection(mode: RouteMode) throws {
            let setup = try RelayUnderTest(route: RouteOptions(mode))
            let client = try TestHTTPClient(port: setup.relay.port)
            defer { client.close() }
            for size in bodySizes {
                let result = try fetchAndCompare(client, size: size)
                #expect(result.ok, "\(mode): \(result.detail)")
            }
            // A real client too: curl, a new connection per request.
            for size in [65537, 4_194_307] {
                let output = NSTemporaryDirectory() + "odb-curl-\(getpid())-\(size)"
                defer { try? FileManager.default.removeItem(atPath: output) }
                let curl = try CommandRunner.run("/usr/bin/curl", [
                    "-s", "-o", output, "-w", "%{http_code}", "http://127.0.0.1:\(setup.relay.port)/files/\(size).bin",
                ])
                #expect(curl.stdout == "200")
                #expect(FileManager.default.contentsEqual(atPath: output, andPath: TestContent.path(size: size)),
                        "\(mode): curl body of \(size) bytes differs")
            }
        }

        @Test(arguments: relayModes)
        func thousandKeepAliveRequestsWithPythonHTTPClient(mode: RouteMode) throws {
            let sizes = [0, 1000, 65537, 1_048_577]
            let setup = try RelayUnderTest(route: RouteOptions(mode), sizes: sizes)
            let script = """
                import hashlib, http.client, sys
                expected = {s: hashlib.sha256(open(f"\(TestContent.directory)/{s}.bin", "rb").read()).hexdigest() for s in \(sizes)}
                conn = http.client.HTTPConnection("127.0.0.1", \(setup.relay.port), timeout=30)
                bad = 0
                for i in range(1000):
                    size = \(sizes)[i % \(sizes.count)]
                    conn.request("GET", f"/files/{size}.bin")
                    response = conn.getresponse()
                    body = response.read()
                    if response.status != 200 or hashlib.sha256(body).hexdigest() != expected[size]:
                        bad += 1
                    if response.will_close:
                        print("server closed the connection at request", i); sys.exit(2)
                print(bad)
                """
            let result = try CommandRunner.run("/usr/bin/env", ["python3", "-c", script])
            #expect(result.status == 0, "\(mode): \(result.stdout) \(result.stderr)")
            #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(mode): corrupted responses")
        }

        @Test(arguments: relayModes)
        func pipelinedRequestsAnswerInOrder(mode: RouteMode) throws {
            let sizes = [1000, 65536, 1_048_577, 1, 4_194_307, 0, 65537]
            let setup = try RelayUnderTest(route: RouteOptions(mode), sizes: sizes)
            let client = try TestHTTPClient(port: setup.relay.port)
            defer { client.close() }
            let requests = sizes.map { "GET /files/\($0).bin HTTP/1.1\r\nHost: test\r\n\r\n" }.joined()
            try client.send(requests)
            for size in sizes {
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.body == (try TestContent.bytes(size: size)), "\(mode): pipelined body of \(size) bytes")
            }
        }

        @Test(arguments: relayModes)
        func uploadsArriveExactly(mode: RouteMode) throws {
            let sizes = [1000, 65537, 4_194_307, 67_108_864]
            let setup = try RelayUnderTest(route: RouteOptions(mode), sizes: sizes)
            let client = try TestHTTPClient(port: setup.relay.port)
            defer { client.close() }
            for size in sizes {
                let body = try TestContent.bytes(size: size)
                try client.send("PUT /upload/\(mode)-\(size).bin HTTP/1.1\r\nHost: test\r\nContent-Length: \(size)\r\n\r\n")
                try client.send(body)
                let response = try client.readResponse()
                #expect([200, 201, 204].contains(response.status), "\(mode): PUT of \(size) answered \(response.status)")
                let stored = try Data(contentsOf: URL(fileURLWithPath: "\(setup.origin.webRoot)/upload/\(mode)-\(size).bin"))
                #expect([UInt8](stored) == body, "\(mode): upload of \(size) bytes: \(firstDifference([UInt8](stored), body))")
            }
            if mode == .kernel {
                // Uploads above the threshold go through the kernel too, several on one client
                // connection (the client stays in the verdict map between them). How much of them
                // depends on the machine, not the relay: what the client sends before the window
                // opens is queued and copied (up to the 4 MiB a source may hold, docs/PERFORMANCE.md
                // §1a), and so is what arrives while nginx, writing to disk, is over the budget
                // (59-71 % through the kernel alone, 24-60 % in CI runs beside the other suites).
                // More than one source's queue through the kernel shows a window carried bytes.
                // Counters are published every 250 ms, so they may trail the last response.
                _ = try setup.relay.waitForCounter("kernel", in: "body_bytes") { $0 > 4 << 20 }
            }
        }
    }
}
