import Foundation
import Glibc
import ODBTestSupport
import Testing

extension RelayTests {
    /// Caps on how long and how much a client connection may hold the relay: requests per
    /// connection, connection age, the body-rate floor and connections per client address.
    /// Each ends the connection cleanly, counts it under `limit_closes` and logs it.
    @Suite struct ConnectionLimits {
        @Test func requestCapMakesTheLastAnswerCloseTheConnection() throws {
            let setup = try RelayUnderTest(route: RouteOptions(.kernel), sizes: [1000], limits: [.maxRequestsPerConnection(3)])
            let relay = setup.relay
            let client = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            defer { client.close() }
            let expected = try TestContent.bytes(size: 1000)
            for request in 1...2 {
                let response = try client.get("/files/1000.bin")
                #expect(response.status == 200)
                #expect(response.body == expected)
                #expect(response.header("Connection") != "close", "request \(request) of 3 keeps the connection")
            }
            let last = try client.get("/files/1000.bin")
            #expect(last.body == expected, "the last answer is whole")
            #expect(last.header("Connection") == "close")
            #expect(client.isClosedByPeer())
            #expect(try relay.waitForCounter("max_requests", in: "limit_closes") { $0 >= 1 } == 1)
            #expect(relay.log.contains("connection closed at a limit"))
        }

        /// A request that arrives after the relay decided to close (here the request cap) is
        /// read and dropped, never left unread: closing over unread bytes resets the connection
        /// and throws away the part of the last answer still in the relay's send queue.
        @Test(arguments: [RouteMode.copy, .kernel])
        func theLastAnswerArrivesWholeWhenTheClientPipelinesPastTheCap(mode: RouteMode) throws {
            let size = 1_048_576
            let setup = try RelayUnderTest(route: RouteOptions(mode), sizes: [size], limits: [.maxRequestsPerConnection(1)])
            let relay = setup.relay
            let client = try TestHTTPClient(port: relay.port, receiveTimeout: 20)
            defer { client.close() }
            let request = "GET /files/\(size).bin HTTP/1.1\r\nHost: test\r\n\r\n"
            // The relay is done with the connection once its side left ESTABLISHED (the answer
            // in flight, its side shut down or closed); the client reads only then.
            func relayEnded() -> Bool {
                !TCPSocketRow.all().contains {
                    $0.localPort == relay.port && $0.remotePort == client.localPort && $0.state == .established
                }
            }
            try client.send(request)
            try waitUntil("the relay read the first request") { relay.hasReadEverything(from: client) || relayEnded() }
            try client.send(request)
            try waitUntil("the relay ended its side of the connection", relayEnded)
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("Connection") == "close")
            #expect(response.body == (try TestContent.bytes(size: size)), "the last answer is whole")
            #expect(client.isClosedByPeer())
        }

        /// Past the age cap an idle keep-alive connection is closed, and a busy one gets its
        /// current answer whole with `Connection: close`; the idle timeout is far away.
        @Test func ageCapClosesIdleAndBusyConnections() throws {
            let setup = try RelayUnderTest(route: RouteOptions(.kernel), sizes: [1000],
                                           timeouts: [.idle("60s"), .maxConnectionAge("2s")])
            let relay = setup.relay
            let idle = try TestHTTPClient(port: relay.port, receiveTimeout: 15)
            defer { idle.close() }
            #expect(try fetchAndCompare(idle, size: 1000).ok)
            let busy = try TestHTTPClient(port: relay.port, receiveTimeout: 15)
            defer { busy.close() }
            let opened = Date()
            try waitUntil("an answer past the age cap that closes the connection", poll: 0.1) {
                let response = try busy.get("/files/1000.bin")
                #expect(response.body == (try TestContent.bytes(size: 1000)))
                return response.header("Connection") == "close"
            }
            #expect(Date().timeIntervalSince(opened) >= 2, "not before the cap")
            #expect(busy.isClosedByPeer())
            #expect(idle.isClosedByPeer(), "the idle connection was closed at its age, long before the idle timeout")
            #expect(try relay.waitForCounter("max_age", in: "limit_closes") { $0 >= 2 } == 2)
        }

        /// An answer that began before the age cap said keep-alive, and the connection reaches
        /// the cap while the client still reads it: the relay reads the whole body from the
        /// upstream long before a slow client takes it, so the exchange is over and the cap
        /// closes the connection between exchanges. The client still gets the whole answer, then
        /// the end of the connection (a 4 MiB answer read at 512 KB/s through a 64 KiB receive
        /// buffer, asked for at once on a connection capped at 2 s).
        @Test(arguments: relayModes)
        func ageCapClosesOnlyAfterTheAnswerInFlight(mode: RouteMode) throws {
            let size = 4 << 20
            let admin = freePort()
            let setup = try RelayUnderTest(route: RouteOptions(mode), sizes: [size], workers: 1, admin: .listen("127.0.0.1:\(admin)"),
                                           timeouts: [.idle("60s"), .maxConnectionAge("2s")])
            let client = try TestHTTPClient(port: setup.relay.port, receiveTimeout: 15)
            defer { client.close() }
            client.limitReceiveBuffer(64 << 10)
            try client.send("GET /files/\(size).bin HTTP/1.1\r\nHost: test\r\n\r\n")
            let answer = try client.readResponse(pace: { _ in 125_000 })
            #expect(answer.header("Connection") != "close", "\(mode): the answer began before the cap")
            let expected = try TestContent.bytes(size: size)
            #expect(answer.body == expected, "\(mode): \(firstDifference(answer.body, expected))")
            #expect(client.isClosedByPeer(), "\(mode): the connection ends at its age once the answer is out")
            let closes = "odb_limit_closes_total{limit=\"max_age\"}"
            let metrics = try MetricsScrape.waiting(port: admin, for: "one close at the age cap") { $0[closes] ?? 0 >= 1 }
            #expect(metrics[closes] == 1, "\(mode)")
        }

        /// A request body trickling a byte every 300 ms keeps the idle timer away but not the
        /// rate floor: the client is answered 408 and closed, and the upstream connection goes.
        @Test func requestBodyBelowTheRateFloorIsAnswered408() throws {
            let origin = try ScriptedOrigin(handler: HTTPSemantics.echoOrigin)
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel),
                                         timeouts: [.idle("3s"), .minBodyRate("100"), .minBodyRateWindow("1s")])
            let client = try TestHTTPClient(port: relay.port, receiveTimeout: 15)
            defer { client.close() }
            try client.send("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\n")
            let started = Date()
            while Date().timeIntervalSince(started) < 12 {
                guard (try? client.send("x")) != nil else { break }
                usleep(300_000)  // the trickle under test: a byte every 300 ms
                if try relay.statusEntry()?["limit_closes"].flatMap({ ($0 as? [String: Int])?["min_body_rate"] }) ?? 0 > 0 { break }
            }
            let answer = try client.readResponse()
            #expect(answer.status == 408, "the trickling body is cut off by the rate floor, got \(answer.status)")
            #expect(answer.header("Connection") == "close")
            #expect(client.isClosedByPeer())
            #expect(try relay.waitForCounter("min_body_rate", in: "limit_closes") { $0 >= 1 } == 1)
            #expect(relay.log.contains("connection closed at a limit"))
        }

        /// A client taking a response body at 128 KiB/s under a 1 MiB/s floor is cut off: the
        /// connection closes before the body's end, never with a short answer that looks whole.
        @Test(arguments: [RouteMode.kernel, .copy])
        func responseBodyTakenBelowTheRateFloorIsAborted(mode: RouteMode) throws {
            let size = 24 << 20
            let admin = freePort()
            let setup = try RelayUnderTest(route: RouteOptions(mode), sizes: [size], admin: .listen("127.0.0.1:\(admin)"),
                                           timeouts: [.minBodyRate("1MiB"), .minBodyRateWindow("1s")])
            let relay = setup.relay
            let client = try TestHTTPClient(port: relay.port, receiveTimeout: 30)
            defer { client.close() }
            try client.send("GET /files/\(size).bin HTTP/1.1\r\nHost: test\r\n\r\n")
            let started = Date()
            var cutOff = false
            var tripped: Date?
            do {
                // Once cut off, the rest of what the client's receive buffer holds is read at once.
                let response = try client.readResponse { _ in
                    if tripped == nil && relay.log.contains("connection closed at a limit") { tripped = Date() }
                    return tripped == nil ? 500_000 : 0
                }
                cutOff = response.body.count < size
            } catch is TestHTTPClient.ClosedEarly {
                cutOff = true
            }
            #expect(cutOff, "\(mode): the slow reader did not get the whole body")
            let cutOffAfter = tripped.map { $0.timeIntervalSince(started) } ?? .infinity
            #expect(cutOffAfter < 60, "\(mode): cut off long before the body's end at this pace (192 s)")
            // /metrics, since a copy-mode relay has no BPF objects and so no `status` entry.
            let closes = "odb_limit_closes_total{limit=\"min_body_rate\"}"
            let counted = try MetricsScrape.waiting(port: admin, for: "the cut-off is counted") { ($0[closes] ?? 0) >= 1 }
            #expect(counted[closes] == 1, "\(mode): \(counted)")
        }

        @Test func perClientCapAnswers503AndFreesItsPlaceOnClose() throws {
            let setup = try RelayUnderTest(route: RouteOptions(.kernel), sizes: [1000], limits: [.maxConnectionsPerClient(2)])
            let relay = setup.relay
            // The fixture's readiness probe is a connection from this client too; until the
            // relay has read its end and closed it, it holds one of the client's two places.
            try waitUntil("the relay closed the readiness probe") {
                !TCPSocketRow.all().contains { $0.localPort == relay.port && $0.state != .listen }
            }
            let first = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            let second = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            defer { second.close() }
            #expect(try fetchAndCompare(first, size: 1000).ok)
            #expect(try fetchAndCompare(second, size: 1000).ok)
            let third = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            defer { third.close() }
            let refused = try third.readResponse()
            #expect(refused.status == 503)
            #expect(third.isClosedByPeer())
            #expect(try relay.waitForCounter("per_client", in: "limit_closes") { $0 >= 1 } == 1)
            #expect(relay.log.contains("per-client connection limit reached"))
            #expect(try relay.statusEntry()?["refused_connections"] as? Int == 0, "not counted as the global limit")
            first.close()
            try waitUntil("a closed connection to free its client's place", poll: 0.25) {
                let newcomer = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
                defer { newcomer.close() }
                return (try? newcomer.get("/files/1000.bin").status) == 200
            }
            #expect(try fetchAndCompare(second, size: 1000).ok)
        }
    }
}
