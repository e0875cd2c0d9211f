import Foundation
import Glibc
import ODBTestSupport
import Testing

extension RelayTests {
    /// Caps on how long and how much a client connection may hold the relay: requests per
    /// connection, connection age, the body-rate floor and connections per client address.
    /// Each ends the connection cleanly, counts it under `limit_closes` and logs it.
    @Suite struct ConnectionLimits {
        /// Polls the relay's `limit_closes` entry for `limit` until it reaches `least`, for up to 10 s.
        static func waitForLimitCloses(_ relay: RelayProcess, _ limit: String, atLeast least: Int) throws -> Int {
            var value = -1
            for _ in 0..<200 {
                let closes = try relay.statusEntry()?["limit_closes"] as? [String: Int]
                value = closes?[limit] ?? -1
                if value >= least { return value }
                usleep(50_000)
            }
            return value
        }

        @Test func requestCapMakesTheLastAnswerCloseTheConnection() throws {
            let setup = try RelayUnderTest(mode: "kernel", sizes: [1000], extraTop: """
                limits:
                  max_requests_per_connection: 3
                """)
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
            #expect(try Self.waitForLimitCloses(relay, "max_requests", atLeast: 1) == 1)
            #expect(relay.log.contains("connection closed at a limit"))
        }

        /// Past the age cap an idle keep-alive connection is closed, and a busy one gets its
        /// current answer whole with `Connection: close`; the idle timeout is far away.
        @Test func ageCapClosesIdleAndBusyConnections() throws {
            let setup = try RelayUnderTest(mode: "kernel", sizes: [1000], extraTop: """
                timeouts:
                  idle: 60s
                  max_connection_age: 2s
                """)
            let relay = setup.relay
            let idle = try TestHTTPClient(port: relay.port, receiveTimeout: 15)
            defer { idle.close() }
            #expect(try fetchAndCompare(idle, size: 1000).ok)
            let busy = try TestHTTPClient(port: relay.port, receiveTimeout: 15)
            defer { busy.close() }
            let opened = Date()
            var closingAnswer: TestHTTPClient.Response?
            while closingAnswer == nil && Date().timeIntervalSince(opened) < 20 {
                let response = try busy.get("/files/1000.bin")
                #expect(response.body == (try TestContent.bytes(size: 1000)))
                if response.header("Connection") == "close" { closingAnswer = response }
                usleep(100_000)
            }
            #expect(closingAnswer != nil, "an answer past the age cap closes the connection")
            #expect(Date().timeIntervalSince(opened) >= 2, "not before the cap")
            #expect(busy.isClosedByPeer())
            #expect(idle.isClosedByPeer(), "the idle connection was closed at its age, long before the idle timeout")
            #expect(try Self.waitForLimitCloses(relay, "max_age", atLeast: 2) == 2)
        }

        /// A request body trickling a byte every 300 ms keeps the idle timer away but not the
        /// rate floor: the client is answered 408 and closed, and the upstream connection goes.
        @Test func requestBodyBelowTheRateFloorIsAnswered408() throws {
            let origin = try ScriptedOrigin(handler: HTTPSemantics.echoOrigin)
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], mode: "kernel", extraTop: """
                timeouts:
                  idle: 3s
                  min_body_rate: 100
                  min_body_rate_window: 1s
                """)
            let client = try TestHTTPClient(port: relay.port, receiveTimeout: 15)
            defer { client.close() }
            try client.send("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\n")
            let started = Date()
            while Date().timeIntervalSince(started) < 12 {
                guard (try? client.send("x")) != nil else { break }
                usleep(300_000)
                if try relay.statusEntry()?["limit_closes"].flatMap({ ($0 as? [String: Int])?["min_body_rate"] }) ?? 0 > 0 { break }
            }
            let answer = try client.readResponse()
            #expect(answer.status == 408, "the trickling body is cut off by the rate floor, got \(answer.status)")
            #expect(answer.header("Connection") == "close")
            #expect(client.isClosedByPeer())
            #expect(try Self.waitForLimitCloses(relay, "min_body_rate", atLeast: 1) == 1)
            #expect(relay.log.contains("connection closed at a limit"))
        }

        /// A client taking a response body at 128 KiB/s under a 1 MiB/s floor is cut off: the
        /// connection closes before the body's end, never with a short answer that looks whole.
        @Test(arguments: ["kernel", "copy"])
        func responseBodyTakenBelowTheRateFloorIsAborted(mode: String) throws {
            let size = 24 << 20
            let setup = try RelayUnderTest(mode: mode, sizes: [size], extraTop: """
                timeouts:
                  min_body_rate: 1MiB
                  min_body_rate_window: 1s
                """)
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
            if mode == "kernel" {
                // Without BPF objects a copy-mode relay has no status entry.
                #expect(try Self.waitForLimitCloses(relay, "min_body_rate", atLeast: 1) == 1)
            }
        }

        @Test func perClientCapAnswers503AndFreesItsPlaceOnClose() throws {
            let setup = try RelayUnderTest(mode: "kernel", sizes: [1000], extraTop: """
                limits:
                  max_connections_per_client: 2
                """)
            let relay = setup.relay
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
            #expect(try Self.waitForLimitCloses(relay, "per_client", atLeast: 1) == 1)
            #expect(relay.log.contains("per-client connection limit reached"))
            #expect(try relay.statusEntry()?["refused_connections"] as? Int == 0, "not counted as the global limit")
            first.close()
            var admitted = false
            for _ in 0..<40 where !admitted {
                let newcomer = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
                defer { newcomer.close() }
                admitted = (try? newcomer.get("/files/1000.bin").status) == 200
                if !admitted { usleep(250_000) }
            }
            #expect(admitted, "a closed connection frees its client's place")
            #expect(try fetchAndCompare(second, size: 1000).ok)
        }
    }
}
