import Foundation
import Glibc
import ODBTestSupport
import Testing

extension RelayTests {
    /// At every limit the relay answers or closes, logs and counts, and a well-behaved client
    /// on another connection notices nothing. The per-flow kernel budget has its own test
    /// (KernelPath.slowClientKeepsKernelMemoryWithinTheBudget); the soak runs slow readers
    /// beside fast ones.
    @Suite struct ResourceLimits {
        @Test func connectionLimitAnswers503AndIdleHogsAreReclaimed() throws {
            let setup = try RelayUnderTest(route: RouteOptions(.kernel), sizes: [1000], limits: [.maxConnections(4)],
                                           timeouts: [.idle("3s")])
            let relay = setup.relay
            let good = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            defer { good.close() }
            #expect(try fetchAndCompare(good, size: 1000).ok)
            let hogs = try (0..<3).map { _ in try TestHTTPClient(port: relay.port, receiveTimeout: 10) }
            defer { hogs.forEach { $0.close() } }
            try relay.waitForCounter("active_connections") { $0 == 4 }

            let refused = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            defer { refused.close() }
            let answer = try refused.readResponse()
            #expect(answer.status == 503, "over the limit: 503, got \(answer.status)")
            #expect(answer.header("Connection") == "close")
            #expect(refused.isClosedByPeer())
            #expect(try fetchAndCompare(good, size: 1000).ok, "the admitted client is still served")
            try relay.waitForCounter("refused_connections") { $0 >= 1 }
            #expect(relay.log.contains("connection limit reached"))

            // The idle timeout frees the hogs' places; the active client, asking every 250 ms,
            // keeps its own.
            try waitUntil("a newcomer admitted once the idle hogs are gone", poll: 0.25) {
                #expect(try fetchAndCompare(good, size: 1000).ok)
                let newcomer = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
                defer { newcomer.close() }
                return try newcomer.get("/files/1000.bin").status == 200
            }
            #expect(hogs.allSatisfy { $0.isClosedByPeer() })
        }

        /// The idle timeout closes stalled connections, not long transfers: a body a slow
        /// client reads for several idle periods arrives whole in every mode.
        @Test(arguments: relayModes)
        func idleTimeoutSparesABodyThatIsStillMoving(mode: RouteMode) throws {
            let size = 24 << 20
            let setup = try RelayUnderTest(route: RouteOptions(mode), sizes: [size], timeouts: [.idle("1s")])
            let relay = setup.relay
            let client = try TestHTTPClient(port: relay.port, receiveTimeout: 30)
            defer { client.close() }
            let started = Date()
            try client.send("GET /files/\(size).bin HTTP/1.1\r\nHost: test\r\n\r\n")
            // 64 KiB per 15 ms: about 6 s, far more than the socket buffers on the way hold.
            let response = try client.readResponse { _ in 15_000 }
            #expect(Date().timeIntervalSince(started) > 3, "the transfer outlasted the idle timeout several times")
            #expect(response.body == (try TestContent.bytes(size: size)), "\(mode): the whole body arrived")
        }

        /// Forced socket buffers are held per socket until it closes, and bounded in total: with
        /// room for one flow (4 MiB source + 2 x 4 MiB target, the send buffer a window alone
        /// gets by default), a second client's body is copied, counted and exact; once the first
        /// client closes, the kernel path takes bodies again.
        @Test func kernelBufferMemoryCapCopiesBodiesPastIt() throws {
            let size = 1 << 20
            let setup = try RelayUnderTest(route: RouteOptions(.kernel, flowBudget: "8MiB"), sizes: [size], workers: 1,
                                           limits: [.kernelBufferMemory("16MiB")])
            let relay = setup.relay
            let first = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            #expect(try fetchAndCompare(first, size: size).ok)
            // The first flow fits: most of its body goes by the kernel.
            let kernelBytes = try relay.waitForCounter("kernel", in: "body_bytes") { $0 >= size / 2 }
            let second = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            defer { second.close() }
            #expect(try fetchAndCompare(second, size: size).ok, "a body past the cap is copied, exact")
            #expect(try relay.waitForCounter("buffer_memory", in: "fallbacks") { $0 >= 1 } == 1)
            #expect(try relay.counter("kernel", in: "body_bytes") == kernelBytes, "nothing more went by the kernel")
            #expect(relay.log.contains("kernel buffer memory limit reached"))
            first.close()
            try waitUntil("a closed client's share given back: a body by the kernel again", poll: 0.25) {
                #expect(try fetchAndCompare(second, size: size).ok)
                return try relay.counter("kernel", in: "body_bytes") > kernelBytes
            }
        }

        /// An upstream's larger memory for a response of a few MiB leaves the bound when it leaves
        /// the verdict map: with room for that flow (8 MiB source + 2 x 4 MiB target) and 4 MiB
        /// more, a second client's body takes the kernel path on the same upstream, now at 4 MiB,
        /// while the first client stays open; counted at its largest until close, the upstream
        /// would leave no room for the second client's target.
        @Test func anUpstreamsLargerMemoryIsGivenBackToTheBound() throws {
            let large = 4 << 20, small = 1 << 20
            let setup = try RelayUnderTest(route: RouteOptions(.kernel, flowBudget: "8MiB"), sizes: [large, small],
                                           workers: 1, limits: [.kernelBufferMemory("20MiB")])
            let relay = setup.relay
            let first = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            defer { first.close() }
            #expect(try fetchAndCompare(first, size: large).ok)
            let kernelBytes = try relay.waitForCounter("kernel", in: "body_bytes") { $0 >= large / 2 }
            let second = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            defer { second.close() }
            try waitUntil("the second client's body by the kernel beside the first client", poll: 0.25) {
                #expect(try fetchAndCompare(second, size: small).ok)
                return try relay.counter("kernel", in: "body_bytes") > kernelBytes
            }
        }

        /// An upstream that never answers keeps no idle timer away, but the exchange still ends
        /// at `timeouts.max_exchange_time`, long before the idle timeout: 504, counted, logged.
        @Test func exchangePastItsMaximumTimeBeforeAnyAnswerIs504() throws {
            try askSilentUpstream(timeouts: [.idle("60s"), .maxExchangeTime("2s")]) { relay, response throws in
                #expect(String(decoding: response.body, as: UTF8.self).contains("max_exchange_time"))
                #expect(try relay.waitForCounter("max_exchange_time", in: "limit_closes") { $0 >= 1 } == 1)
                #expect(relay.log.contains("connection closed at a limit"))
            }
        }

        /// An upstream that takes the request and then says nothing for `timeouts.idle`: 504
        /// before any answer, counted as an upstream error and logged as an upstream failure
        /// with its reason and what TCP was doing on both sockets, so that it shows with the
        /// access log off and tells a silent upstream from a lossy path.
        @Test func upstreamSilentPastTheIdleTimeoutIs504() throws {
            try askSilentUpstream(timeouts: [.idle("2s")]) { relay, _ throws in
                #expect(try relay.waitForCounter("upstream_errors") { $0 >= 1 } == 1)
                let line = relay.log.split(separator: "\n").first { $0.contains("upstream failure") } ?? ""
                #expect(line.contains("the upstream did not respond in time"), "\(line)")
                // What TCP was doing: the upstream acknowledged the request and sent nothing back.
                #expect(line.contains("upstream_tcp=queued=0 unsent=0 "), "\(line)")
                #expect(line.contains(" backoff=0 "), "\(line)")
                #expect(line.contains("client_tcp=queued=0 "), "\(line)")
            }
        }

        /// A GET through a kernel-mode relay with `timeouts` to an upstream that reads it and
        /// never answers: a 504 that closes the connection; `check` looks at the rest.
        private func askSilentUpstream(timeouts: [TimeoutOption],
                                       check: (RelayProcess, TestHTTPClient.Response) throws -> Void) throws {
            let origin = try ScriptedOrigin(handler: """
                import time
                def answer(conn, head, data):
                    time.sleep(60)
                    return None
                """)
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel), timeouts: timeouts)
            let client = try TestHTTPClient(port: relay.port, receiveTimeout: 30)
            defer { client.close() }
            let response = try client.get("/never-answered")
            #expect(response.status == 504, "got \(response.status)")
            #expect(response.header("Connection") == "close")
            #expect(client.isClosedByPeer())
            try check(relay, response)
        }

        /// An upstream trickling its answer moves bytes all the time, so neither the idle timeout
        /// nor the body-rate floor (which never counts a slow upstream against the client) ends
        /// it. `max_exchange_time` does: the answer has begun, so the client sees the connection
        /// close before the body's end, never a short answer that looks whole.
        @Test func exchangePastItsMaximumTimeAfterTheAnswerBeganIsAborted() throws {
            let length = 300
            let origin = try ScriptedOrigin(handler: """
                import time
                def answer(conn, head, data):
                    conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: \(length)\\r\\n\\r\\n")
                    for _ in range(\(length / 10)):
                        time.sleep(0.3)
                        conn.sendall(b"x" * 10)
                    return data
                """)
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel),
                                         timeouts: [.idle("3s"), .maxExchangeTime("2s")])
            let client = try TestHTTPClient(port: relay.port, receiveTimeout: 30)
            defer { client.close() }
            try client.send("GET /trickled HTTP/1.1\r\nHost: test\r\n\r\n")
            #expect(throws: TestHTTPClient.ClosedEarly.self, "the trickled answer (9 s at this pace) is cut off, not completed") {
                try client.readResponse()
            }
            #expect(client.isClosedByPeer())
            #expect(try relay.waitForCounter("max_exchange_time", in: "limit_closes") { $0 >= 1 } == 1)
            #expect(relay.log.contains("limit=max_exchange_time"))
        }

        @Test func oversizedHeadsAre431WhileAnotherClientIsServed() throws {
            let setup = try RelayUnderTest(route: RouteOptions(.kernel), sizes: [1000],
                                           limits: [.maxHeadBytes("2KiB"), .maxHeaders(10)])
            let relay = setup.relay
            let good = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            defer { good.close() }
            let oversized = [
                "GET / HTTP/1.1\r\nHost: test\r\nX-Big: \(String(repeating: "x", count: 3000))\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: test\r\n" + (0..<11).map { "X-\($0): v\r\n" }.joined() + "\r\n",
                // Never ends: the limit applies before the head does.
                "GET / HTTP/1.1\r\nHost: test\r\nX-Endless: \(String(repeating: "y", count: 2100))",
            ]
            for request in oversized {
                #expect(try fetchAndCompare(good, size: 1000).ok)
                let client = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
                defer { client.close() }
                try client.send(request)
                #expect(try client.readResponse().status == 431)
                #expect(client.isClosedByPeer())
            }
            #expect(try fetchAndCompare(good, size: 1000).ok)
            try relay.waitForCounter("rejected_requests") { $0 >= oversized.count }
            #expect(relay.log.contains("rejected request"))
        }

        /// Twenty clients trickle header lines and never finish; each is closed with 408 once
        /// its head has taken longer than head_read, and a normal client is served throughout.
        @Test func slowlorisFloodIsClosedWhileAnotherClientIsServed() throws {
            let setup = try RelayUnderTest(route: RouteOptions(.kernel), sizes: [1000], timeouts: [.headRead("1s")])
            let relay = setup.relay
            let slow = try (0..<20).map { _ in try TestHTTPClient(port: relay.port, receiveTimeout: 10) }
            defer { slow.forEach { $0.close() } }
            for client in slow { try client.send("GET /files/1000.bin HTTP/1.1\r\n") }
            let good = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            defer { good.close() }
            let started = Date()
            for round in 0..<12 {
                for client in slow { try? client.send("X-\(round): keep-me-open\r\n") }
                #expect(try fetchAndCompare(good, size: 1000).ok, "served during the flood")
                usleep(250_000)  // the flood under test: a header line per client every 250 ms
            }
            for (index, client) in slow.enumerated() {
                #expect(try client.readResponse().status == 408, "slow client \(index)")
                #expect(client.isClosedByPeer())
            }
            #expect(Date().timeIntervalSince(started) < 10)
            try relay.waitForCounter("rejected_requests") { $0 >= slow.count }
            // Only the good client is left.
            try relay.waitForCounter("active_connections") { $0 == 1 }
            #expect(relay.log.contains("request head timed out"))
        }
    }
}
