import Foundation
import Glibc
import ODBTestSupport
import Testing

extension RelayTests {
    /// What only the kernel mode promises: the bytes really take the kernel path, and a slow
    /// reader cannot make the host queue the body in kernel memory.
    @Suite struct KernelPath {
        @Test func bodiesAboveTheThresholdGoThroughTheKernel() throws {
            let sizes = [65537, 262_144, 1_048_577, 4_194_307, 67_108_864]
            // A budget above the largest body: this test measures which path carries the bytes
            // when the target keeps up; passing over budget is the slow-client test's subject.
            let setup = try RelayUnderTest(route: RouteOptions(.kernel, kernelMinBody: "64KiB", flowBudget: "128MiB"), sizes: sizes)
            #expect(setup.relay.log.contains("kernel self-test passed"), "\(setup.relay.log)")
            let client = try TestHTTPClient(port: setup.relay.port)
            defer { client.close() }
            for _ in 0..<2 {
                for size in sizes {
                    let result = try fetchAndCompare(client, size: size)
                    #expect(result.ok, "\(result.detail)")
                }
            }
            let bytes = try setup.relay.bodyBytes(atLeast: 2 * sizes.reduce(0, +))
            let total = bytes.values.reduce(0, +)
            #expect(total == 2 * sizes.reduce(0, +), "every body byte is accounted once: \(bytes)")
            let share = Double(bytes["kernel"] ?? 0) / Double(max(total, 1))
            #expect(share >= 0.95, "kernel share \(share) of \(bytes)")
        }

        /// Over loopback's large segments the verdict leaves a short body's skbs of filled page
        /// fragments as they are and makes a long body's linear (`SkbLinearising`). The built-in
        /// origin writes from user space, so its skbs carry filled fragments.
        @Test func onLoopbackOnlyLongBodiesAreMadeLinear() throws {
            let short = 256 << 10, long = 4 << 20
            let origin = try BuiltinHolder()
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"],
                                         route: RouteOptions(.kernel, kernelMinBody: "64KiB", flowBudget: "128MiB"))
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            func fetch(_ size: Int) throws {
                try VirtualPayloadChain.fetch(client, "/bytes/\(size)", size: size)
            }
            /// Skbs the verdict made linear and skbs it redirected, so far.
            func counts() throws -> (linear: Int, redirected: Int) {
                (try relay.kernelCounter("linearised_skbs"), try relay.kernelCounter("redirected_skbs"))
            }
            // Readable once the relay has published its status entry.
            let before = try waitFor("relay \(relay.pid)'s kernel counters", counts, until: { $0.linear >= 0 })
            for _ in 0..<16 { try fetch(short) }
            let afterShort = try counts()
            for _ in 0..<2 { try fetch(long) }
            let afterLong = try counts()
            let bytes = try relay.bodyBytes(atLeast: 16 * short + 2 * long)
            #expect(Double(bytes["kernel"] ?? 0) > 0.9 * Double(16 * short + 2 * long), "the bodies took the kernel path: \(bytes)")
            // A few of a copying sender's skbs end in a short fragment and average under the
            // verdict's small-fragment size (2-3 of about 64 per 4 MiB of 1 MiB bodies); those are
            // linearised whatever the window says.
            let shortLinear = afterShort.linear - before.linear, shortSkbs = afterShort.redirected - before.redirected
            let longLinear = afterLong.linear - afterShort.linear, longSkbs = afterLong.redirected - afterShort.redirected
            #expect(shortSkbs > 0 && Double(shortLinear) < 0.25 * Double(shortSkbs),
                    "256 KiB bodies: \(shortLinear) of \(shortSkbs) redirected skbs made linear")
            #expect(longSkbs > 0 && Double(longLinear) > 0.5 * Double(longSkbs),
                    "4 MiB bodies: \(longLinear) of \(longSkbs) redirected skbs made linear")
        }

        @Test func slowClientKeepsKernelMemoryWithinTheBudget() throws {
            let size = 256 << 20
            let setup = try RelayUnderTest(route: RouteOptions(.kernel, kernelMinBody: "64KiB", flowBudget: "8MiB"), sizes: [size])
            let client = try TestHTTPClient(port: setup.relay.port)
            defer { client.close() }
            var peaks = ProcessMemory.Peaks(pid: setup.relay.pid)
            let slowUntil = Date().addingTimeInterval(20)
            try client.send("GET /files/\(size).bin HTTP/1.1\r\nHost: test\r\n\r\n")
            let response = try client.readResponse { _ in
                guard Date() < slowUntil else { return 0 }
                peaks.sample()
                return 62_500  // 64 KiB per 62.5 ms: about 1 MiB/s
            }
            #expect(response.status == 200)
            let expected = try TestContent.bytes(size: size)
            #expect(response.body == expected, "slow download: \(firstDifference(response.body, expected))")
            // Bounded by the budget (at most 8 MiB in flight, paced to the client's 1 MiB/s) plus
            // the relay's sockets' buffers (16-19 MiB held and charged with the 8 MiB fixed). Without flow
            // control it takes in the 256 MiB body as fast as nginx sends it and holds all of it
            // but what the client read (with `flow_budget: 1GiB`: 256 MiB held, 260 MiB charged).
            #expect(peaks.samples >= 20, "the relay's sockets were seen \(peaks.samples) times")
            #expect(peaks.held < 40 << 20, "the relay held \(peaks.held >> 20) MiB of the body while the client read slowly")
            #expect(peaks.charged < 40 << 20, "the relay's sockets were charged \(peaks.charged >> 20) MiB")
            #expect(peaks.resident < 128 << 20, "relay RSS reached \(peaks.resident >> 20) MiB")
        }

        /// The windows a worker has open share `limits.kernel_send_buffer` among their targets:
        /// the first slow client's window alone gets all of it, a second one opened beside it
        /// half, and neither the route's 16 MiB budget (ss shows each doubled by the kernel).
        /// Both bodies still arrive whole.
        @Test func openWindowsShareTheTargetSendBuffer() throws {
            let size = 64 << 20
            let share = 6 << 20
            let setup = try RelayUnderTest(route: RouteOptions(.kernel, flowBudget: "16MiB"), sizes: [size], workers: 1,
                                           limits: [.kernelSendBuffer("6MiB")])
            let clients = try (0..<2).map { _ in try TestHTTPClient(port: setup.relay.port, receiveTimeout: 30) }
            defer { clients.forEach { $0.close() } }
            for (client, expected) in zip(clients, [2 * share, share]) {
                try client.send("GET /files/\(size).bin HTTP/1.1\r\nHost: test\r\n\r\n")
                try waitFor("a send buffer of \(expected) B towards client \(client.localPort)", {
                    try ProcessMemory.sendBuffer(pid: setup.relay.pid, peerPort: client.localPort)
                }, until: { $0 == expected })
            }
            let expected = try TestContent.bytes(size: size)
            for client in clients {
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.body == expected, "\(firstDifference(response.body, expected))")
            }
        }

        /// An upstream's response of a few MiB gets twice the source memory from its window's
        /// opening to its end, whatever its reader's pace, and the upstream gives it back when it
        /// leaves the verdict map; a 32 MiB response keeps the standard memory (`SourceBuffer`;
        /// ss shows each doubled).
        /// The origin pauses half-way through each paused body, so the relay's upstream socket
        /// is seen while its window is open.
        @Test func anUpstreamHasTwiceTheMemoryForAResponseOfAFewMiB() throws {
            let short = 4 << 20, long = 32 << 20
            let origin = try ScriptedOrigin(handler: """
                import time
                def answer(conn, head, data):
                    path = head.split(b" ")[1].decode()
                    size = int(path.split("/")[1])
                    body = bytes(range(256)) * (size // 256)
                    conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n" % size)
                    if path.endswith("/paused"):
                        conn.sendall(body[:size // 2])
                        time.sleep(0.5)
                        body = body[size // 2:]
                    conn.sendall(body)
                    return data
                """)
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel), workers: 1)
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            let upstreamBuffers = { try ProcessMemory.receiveBuffers(pid: relay.pid, peerPort: origin.port) }
            let pattern = (0..<256).map(UInt8.init)
            /// Fetches a body; a paused one's upstream receive buffers are looked at 16 times while it arrives.
            func fetch(_ size: Int, paused: Bool) throws -> Set<Int> {
                var seen = Set<Int>()
                var nextLook = 0
                try client.send("GET /\(size)/\(paused ? "paused" : "whole") HTTP/1.1\r\nHost: test\r\n\r\n")
                let response = try client.readResponse(pace: paused ? { received in
                    if received >= nextLook {
                        seen.formUnion((try? upstreamBuffers()) ?? [])
                        nextLook += size / 16
                    }
                    return 0
                } : nil)
                #expect(response.status == 200)
                #expect(response.body.count == size, "\(size) B: the whole body arrived")
                if paused {
                    var expected = [UInt8]()
                    for _ in 0..<(size / 256) { expected.append(contentsOf: pattern) }
                    #expect(response.body == expected, "\(size) B: the body arrived exact")
                }
                return seen
            }
            for _ in 0..<3 { _ = try fetch(short, paused: false) }
            try waitFor("the upstream back at the standard memory", upstreamBuffers, until: { $0 == [4 << 20] })
            let whileShort = try fetch(short, paused: true)
            #expect(whileShort.contains(8 << 20), "the upstream's receive buffers during a 4 MiB body: \(whileShort)")
            try waitFor("the upstream back at the standard memory", upstreamBuffers, until: { $0 == [4 << 20] })
            let kernelBefore = try relay.bodyBytes(atLeast: 4 * short)["kernel"] ?? 0
            let whileLong = try fetch(long, paused: true)
            #expect(!whileLong.isEmpty && whileLong.allSatisfy { $0 == 4 << 20 },
                    "the upstream's receive buffers during a 32 MiB body: \(whileLong)")
            let kernelLong = (try relay.bodyBytes(atLeast: 4 * short + long)["kernel"] ?? 0) - kernelBefore
            // Any byte by the kernel shows the window opened, so its source memory was sized.
            #expect(kernelLong > 0, "the 32 MiB body had a window: \(kernelLong) B by the kernel")
        }

        /// A socket that is a redirect target (in a SOCKHASH with no programs) must still wake
        /// the relay when its own peer sends: the client's next request after a kernel body.
        @Test func targetSocketStillWakesTheRelayForTheNextRequest() throws {
            let setup = try RelayUnderTest(route: RouteOptions(.kernel), sizes: [1_048_577, 1000])
            let client = try TestHTTPClient(port: setup.relay.port, receiveTimeout: 5)
            defer { client.close() }
            for _ in 0..<20 {
                #expect(try fetchAndCompare(client, size: 1_048_577).ok)
                // The subject: the relay goes back to waiting, so the next request must wake it.
                usleep(20_000)
                #expect(try fetchAndCompare(client, size: 1000).ok)
            }
        }

        /// A pooled upstream keeps its flow and window records between bodies (its next join
        /// rewrites them): `status` lists them as idle, with no target. They go when the upstream
        /// closes, whether a reload replaced its pool or its server closed it.
        @Test func aPooledUpstreamsRecordsShowIdleAndGoWhenItCloses() throws {
            let size = 256 << 10
            let origin = try BuiltinHolder()
            func config(port: Int, pool: String) -> RelayConfigFile {
                .singleRoute(port: port, upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(
                    .kernel, upstream: pool, kernelMinBody: "64KiB", flowBudget: "128MiB"), workers: 1, log: LogOptions(level: "info"))
            }
            let relay = try RelayProcess { port in config(port: port, pool: "origin") }
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            /// Three bodies through one pooled upstream, whose records are then idle.
            func fetchThenExpectIdleRecords() throws {
                for _ in 0..<3 { try VirtualPayloadChain.fetch(client, "/bytes/\(size)", size: size) }
                let records = try waitFor("the pooled upstream's records", { try relay.kernelFlows() ?? [] },
                                          until: { $0.count == 1 })
                #expect(records.first?["state"] as? String == "idle", "\(records)")
                #expect(records.first?["target_cookie"] as? Int == 0, "\(records)")
                #expect(try relay.kernelFlowCount() == 0, "no flow but the idle one")
            }
            try fetchThenExpectIdleRecords()
            let bytes = try relay.bodyBytes(atLeast: 3 * size)
            #expect(Double(bytes["kernel"] ?? 0) > 0.9 * Double(3 * size), "the bodies took the kernel path: \(bytes)")
            try relay.rewriteConfig(config(port: relay.port, pool: "renamed"))
            relay.signal(SIGHUP)
            #expect(relay.waitForLog("configuration reloaded"), "\(relay.log)")
            try waitFor("the replaced pool's upstream and its records gone", { try relay.kernelFlows()?.count ?? -1 },
                        until: { $0 == 0 })
            try fetchThenExpectIdleRecords()
            origin.kill()
            try waitFor("the closed upstream's records gone", { try relay.kernelFlows()?.count ?? -1 }, until: { $0 == 0 })
        }
    }
}
