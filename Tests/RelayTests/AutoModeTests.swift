import Foundation
import Glibc
import ODBTestSupport
import Testing

extension RelayTests {
    /// `mode: auto` picks each body's path by its length: the kernel from `auto_min_body` up to
    /// `kernel_max_body`, splice from `auto_splice_min_body` on outside that band (from
    /// `auto_local_splice_min_body` on for a receiver on this host), copy when shorter and when
    /// the length is unknown; the relay's byte counters show which.
    @Suite struct AutoMode {
        static let small = 1000, belowBand = 100_003, spliced = 180_001, middle = 262_147, large = 4_194_307
        static let eightMiB = 8_388_611
        /// Past the default `kernel_max_body` (64 MiB).
        static let huge = 67_108_869

        @Test func eachBodyTakesThePathForItsSize() throws {
            try expectPaths(route: RouteOptions(.auto, kernelMinBody: "64KiB", autoSpliceMinBody: "128KiB", autoLocalSpliceMinBody: "128KiB",
                                                autoMinBody: "256KiB", kernelMaxBody: "1MiB", flowBudget: "128MiB"),
                [(Self.small, "copy"), (Self.belowBand, "copy"), (Self.spliced, "splice"), (Self.middle, "kernel"),
                 (Self.large, "splice"), (Self.spliced, "splice"), (Self.middle, "kernel")])
        }

        /// By default no body takes the kernel path, and a client on the relay's host gets
        /// bodies from 8 MiB on spliced, past `kernel_max_body` too (docs/PERFORMANCE.md §4).
        @Test func byDefaultALocalClientGetsBodiesFrom8MiBSplicedAndNoneTakesTheKernel() throws {
            try expectPaths(route: RouteOptions(.auto),
                [(Self.small, "copy"), (Self.belowBand, "copy"), (Self.middle, "copy"), (Self.large, "copy"),
                 (Self.eightMiB, "splice"), (Self.huge, "splice"), (Self.middle, "copy")])
        }

        /// One relay with the default thresholds, one body of 1 MiB: copied to a client on its
        /// host, spliced to a client on another (a network namespace behind veth), both
        /// byte-exact.
        @Test func byDefaultAClientOnAnotherHostGetsBodiesFrom128KiBSpliced() throws {
            let size = 1_048_579
            let origin = try NginxOrigin(fileSizes: [size])
            let otherHost = try OtherHost()
            defer { otherHost.remove() }
            let relay = try RelayProcess { port in
                RelayConfigFile(listeners: [ListenerOptions(listen: "0.0.0.0:\(port)", routes: [RouteOptions(.auto)])],
                                upstreams: [(name: "origin", servers: ["127.0.0.1:\(origin.port)"])])
            }
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            let local = try fetchAndCompare(client, size: size)
            #expect(local.ok, "\(local.detail)")
            let copied = try relay.bodyBytes(atLeast: size)
            #expect(Double(copied["copy"] ?? 0) >= 0.95 * Double(size) && (copied["splice"] ?? 0) == 0, "local client: \(copied)")
            let remote = try otherHost.python("""
                import http.client
                c = http.client.HTTPConnection("\(otherHost.addressHere)", \(relay.port), timeout=30)
                c.request("GET", "/files/\(size).bin")
                r = c.getresponse()
                body = r.read()
                print(r.status, len(body), body == open("\(TestContent.path(size: size))", "rb").read())
                """)
            #expect(remote.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "200 \(size) True", "\(remote.stderr)")
            let after = try relay.bodyBytes(atLeast: 2 * size)
            #expect(Double(after["splice"] ?? 0) >= 0.95 * Double(size), "client on another host: \(after)")
        }

        /// A chunked body's length is unknown until its end, so it is copied: large ones measured
        /// several times slower in the kernel (docs/CHUNKED.md).
        @Test func bodiesOfUnknownLengthAreCopied() throws {
            let chunks = 32, chunkSize = 65536
            let origin = try ScriptedOrigin(handler: """
                def answer(conn, head, data):
                    chunk = b"%x\\r\\n" % \(chunkSize) + b"x" * \(chunkSize) + b"\\r\\n"
                    conn.sendall(b"HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n" + chunk * \(chunks) + b"0\\r\\n\\r\\n")
                    return data
                """)
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.auto))
            let result = try CommandRunner.run("/usr/bin/env", ["python3", "-c", """
                import http.client
                c = http.client.HTTPConnection("127.0.0.1", \(relay.port))
                c.request("GET", "/stream")
                print(len(c.getresponse().read()))
                """])
            #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(chunks * chunkSize), "\(result.stderr)")
            let bytes = try relay.bodyBytes(atLeast: chunks * chunkSize)
            #expect((bytes["kernel"] ?? 0) == 0 && (bytes["copy"] ?? 0) >= chunks * chunkSize, "the chunked body was copied: \(bytes)")
        }

        /// Fetches each size in turn on one connection and checks that the path named with it
        /// carried the body.
        private func expectPaths(route: RouteOptions, _ expected: [(size: Int, path: String)]) throws {
            let setup = try RelayUnderTest(route: route, sizes: Array(Set(expected.map(\.size))))
            let client = try TestHTTPClient(port: setup.relay.port)
            defer { client.close() }
            var before = [String: Int]()
            for (size, path) in expected {
                let result = try fetchAndCompare(client, size: size)
                #expect(result.ok, "\(result.detail)")
                let after = try setup.relay.bodyBytes(atLeast: before.values.reduce(0, +) + size)
                let moved = after.merging(before) { $0 - $1 }
                // The kernel path copies what was read together with the head.
                #expect(Double(moved[path] ?? 0) >= 0.95 * Double(size), "\(size) B: \(path) expected, moved \(moved)")
                before = after
            }
        }
    }
}
