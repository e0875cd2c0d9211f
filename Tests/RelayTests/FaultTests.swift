import Foundation
import Glibc
import ODBTestSupport
import Testing

extension RelayTests {
    /// Failures end in a clear status or a closed connection, never a complete-looking lie.
    @Suite struct Faults {
        /// Where an upstream dies: the phase is the path's first segment, `reset` (SO_LINGER 0)
        /// or `close` the second; any other path is answered "ok" on a kept-alive connection.
        static let dyingOrigin = """
            import struct
            def answer(conn, head, data):
                parts = head.split(b" ")[1].split(b"/")
                if len(parts) < 3:
                    conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok")
                    return data
                phase, how = parts[1], parts[2]
                if phase == b"mid-head":
                    conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Ty")
                elif phase == b"mid-body":
                    conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 8388608\\r\\n\\r\\n" + b"x" * (2 << 20))
                elif phase == b"between":
                    conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok")
                if how == b"reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
                return None
            """

        enum UpstreamPhase: String, CaseIterable, Sendable {
            case beforeHead = "before-head", midHead = "mid-head", midBody = "mid-body", betweenMessages = "between"
        }

        /// The client sees a 502 while no response has started, a closed connection (never a
        /// complete-looking response) once one has, and a retry on a fresh connection when a
        /// pooled one died between messages; afterwards the relay holds no flow and no extra fd.
        @Test(arguments: UpstreamPhase.allCases, ["reset", "close"])
        func upstreamDyingAtEveryPhase(phase: UpstreamPhase, how: String) throws {
            for mode in [RouteMode.kernel, .copy] {
                let origin = try ScriptedOrigin(handler: Self.dyingOrigin)
                let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(mode), workers: 1)
                let label = "\(mode) upstream \(how) \(phase.rawValue)"
                let baseline = try FaultAftermath.baseline(relay) { try $0.get("/ok").status == 200 }
                let client = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
                defer { client.close() }
                let path = "/\(phase.rawValue)/\(how)"
                switch phase {
                case .beforeHead, .midHead:
                    #expect(try client.get(path).status == 502, "\(label)")
                case .midBody:
                    #expect(throws: TestHTTPClient.ClosedEarly.self, "\(label): a truncated body ends in a closed connection") {
                        _ = try client.get(path)
                    }
                case .betweenMessages:
                    #expect(try client.get(path).body == Array("ok".utf8), "\(label)")
                    try waitUntil("\(label): the upstream's close to reach the relay") {
                        !TCPSocketRow.all().contains { $0.remotePort == origin.port && $0.state == .established }
                    }
                    let next = try client.get("/ok")
                    #expect(next.status == 200 && next.body == Array("ok".utf8), "\(label): retried on a fresh connection")
                }
                client.close()
                try FaultAftermath.expectClean(relay, baseline: baseline, mode: mode, label: label) { try $0.get("/ok").status == 200 }
            }
        }

        @Test func unreachableUpstreamGets502() throws {
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(freePort())"], route: RouteOptions(.kernel))
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            let response = try client.get("/anything")
            #expect(response.status == 502)
            #expect(String(decoding: response.body, as: UTF8.self).contains("no upstream server"))
        }

        @Test func malformedRequestGets400AndNothingReachesTheUpstream() throws {
            let origin = try NginxOrigin(fileSizes: [1000])
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel))
            for request in [
                "GET /files/1000.bin HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                "GET /files/1000.bin HTTP/1.1\r\nHost: test\r\n folded: yes\r\n\r\n",
                "GET /files/1000.bin HTTP/1.1\nHost: test\n\n",
            ] {
                let client = try TestHTTPClient(port: relay.port)
                defer { client.close() }
                try client.send(request)
                let response = try client.readResponse()
                #expect(response.status == 400, "\(request.debugDescription) answered \(response.status)")
                #expect(client.isClosedByPeer())
            }
        }
    }
}

extension RelayTests {
    /// The client's side failing: the relay cleans up and keeps serving.
    @Suite struct ClientFaults {
        enum ClientPhase: String, CaseIterable, Sendable {
            case beforeHead = "before-head", midHead = "mid-head", midRequestBody = "mid-request-body"
            case midResponseBody = "mid-response-body", betweenMessages = "between"
        }

        /// The client goes (FIN or reset) at every phase; the relay closes its side and the
        /// upstream's, leaves no kernel flow and no extra fd, and serves the next client.
        @Test(arguments: ClientPhase.allCases, ["reset", "close"])
        func clientGoneAtEveryPhase(phase: ClientPhase, how: String) throws {
            for mode in [RouteMode.kernel, .copy] {
                let setup = try RelayUnderTest(route: RouteOptions(mode), sizes: [16 << 20, 1000], workers: 1)
                let relay = setup.relay
                let label = "\(mode) client \(how) \(phase.rawValue)"
                let baseline = try FaultAftermath.baseline(relay) { try fetchAndCompare($0, size: 1000).ok }
                let quitter = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
                switch phase {
                case .beforeHead:
                    break
                case .midHead:
                    try quitter.send("GET /files/1000.bin HTTP/1.1\r\nHo")
                case .midRequestBody:
                    try quitter.send("PUT /upload/gone HTTP/1.1\r\nHost: test\r\nContent-Length: 4194304\r\n\r\n")
                    try quitter.send([UInt8](repeating: 0x61, count: 1 << 20))
                case .midResponseBody:
                    try quitter.send("GET /files/\(16 << 20).bin HTTP/1.1\r\nHost: test\r\n\r\n")
                    var received = [UInt8](repeating: 0, count: 1 << 20)
                    #expect(recv(quitter.fd, &received, received.count, Int32(MSG_WAITALL)) == received.count)
                case .betweenMessages:
                    #expect(try fetchAndCompare(quitter, size: 1000).ok)
                }
                try waitUntil("\(label): the relay to read what the client sent") { relay.hasReadEverything(from: quitter) }
                if how == "reset" { quitter.reset() } else { quitter.close() }
                try FaultAftermath.expectClean(relay, baseline: baseline, mode: mode, label: label) {
                    try fetchAndCompare($0, size: 1000).ok
                }
            }
        }

        /// Clients that send part of an upload and close at once are gone before their bodies'
        /// windows open. The kernel's socket maps refuse a socket that is no longer established;
        /// that refusal is the client's close, not a kernel path the route lacks, so it counts
        /// no `unsupported` fallback, and the relay is left as it was.
        @Test func uploadsAbandonedBeforeTheirWindowsCountNoFallback() throws {
            let admin = freePort()
            let setup = try RelayUnderTest(route: RouteOptions(.kernel), sizes: [1000], workers: 1,
                                           admin: .listen("127.0.0.1:\(admin)"))
            let relay = setup.relay
            let baseline = try FaultAftermath.baseline(relay) { try fetchAndCompare($0, size: 1000).ok }
            for _ in 0..<Self.abandonedUploads {
                let quitter = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
                try quitter.send(Array("PUT /upload/gone HTTP/1.1\r\nHost: test\r\nContent-Length: 4194304\r\n\r\n".utf8)
                                 + [UInt8](repeating: 0x61, count: 16 << 10))
                quitter.close()
            }
            try FaultAftermath.expectClean(relay, baseline: baseline, mode: .kernel, label: "abandoned uploads") {
                try fetchAndCompare($0, size: 1000).ok
            }
            let metrics = try MetricsScrape.settled(port: admin)
            #expect(metrics["odb_fallbacks_total{reason=\"unsupported\"}"] == 0, "\(metrics)")
        }

        static let abandonedUploads = 20

        /// A client may end its side once its request is sent (FIN after the body) and wait for
        /// the answer. A half-close is not an abort: the upload is stored and answered and the
        /// download arrives whole, then the relay closes. The maps refuse such a client for a
        /// window, and that refusal counts no `unsupported` fallback either.
        @Test(arguments: relayModes)
        func halfClosedClientsGetTheirWholeAnswers(mode: RouteMode) throws {
            let admin = freePort()
            let size = 300_000
            let setup = try RelayUnderTest(route: RouteOptions(mode), sizes: [size], workers: 1,
                                           admin: .listen("127.0.0.1:\(admin)"))
            let body = try TestContent.bytes(size: size)
            let uploader = try TestHTTPClient(port: setup.relay.port, receiveTimeout: 10)
            defer { uploader.close() }
            try uploader.send("PUT /upload/half-closed.bin HTTP/1.1\r\nHost: test\r\nContent-Length: \(size)\r\n\r\n")
            try uploader.send(body)
            uploader.shutdownWrite()
            let stored = try uploader.readResponse()
            #expect([200, 201, 204].contains(stored.status), "\(mode): a half-closed PUT answered \(stored.status)")
            let file = try Data(contentsOf: URL(fileURLWithPath: "\(setup.origin.webRoot)/upload/half-closed.bin"))
            #expect([UInt8](file) == body, "\(mode): \(firstDifference([UInt8](file), body))")
            #expect(uploader.isClosedByPeer(), "\(mode): the relay closes after answering a half-closed client")

            let downloader = try TestHTTPClient(port: setup.relay.port, receiveTimeout: 10)
            defer { downloader.close() }
            try downloader.send("GET /files/\(size).bin HTTP/1.1\r\nHost: test\r\n\r\n")
            downloader.shutdownWrite()
            let fetched = try downloader.readResponse()
            #expect(fetched.status == 200)
            #expect(fetched.body == body, "\(mode): \(firstDifference(fetched.body, body))")
            #expect(downloader.isClosedByPeer(), "\(mode): the relay closes after answering a half-closed client")

            let metrics = try MetricsScrape.settled(port: admin)
            #expect(metrics["odb_fallbacks_total{reason=\"unsupported\"}"] == 0, "\(metrics)")
        }

        /// The idle deadline starts at the end of each exchange, when the answer's tail may still
        /// wait in the relay's socket for a slow reader or a lossy link. A client still taking it
        /// is not idle: it reads a 4 MiB answer at 512 KB/s through a 64 KiB receive buffer, for
        /// seconds past a 1 s idle timeout, and its next request on the connection is answered. A
        /// client that stops reading part way through is still closed.
        @Test(arguments: relayModes)
        func clientStillReadingItsAnswerIsNotIdle(mode: RouteMode) throws {
            let size = 4 << 20
            let setup = try RelayUnderTest(route: RouteOptions(mode), sizes: [size, 1000], workers: 1,
                                           timeouts: [.idle("1s")])
            let reader = try TestHTTPClient(port: setup.relay.port, receiveTimeout: 10)
            defer { reader.close() }
            reader.limitReceiveBuffer(64 << 10)
            try reader.send("GET /files/\(size).bin HTTP/1.1\r\nHost: test\r\n\r\n")
            let answer = try reader.readResponse(pace: { _ in 125_000 })
            let expected = try TestContent.bytes(size: size)
            #expect(answer.body == expected, "\(mode): \(firstDifference(answer.body, expected))")
            #expect(try fetchAndCompare(reader, size: 1000).ok, "\(mode): the next request on the connection is answered")

            let stopped = try TestHTTPClient(port: setup.relay.port, receiveTimeout: 10)
            defer { stopped.close() }
            stopped.limitReceiveBuffer(64 << 10)
            try stopped.send("GET /files/\(size).bin HTTP/1.1\r\nHost: test\r\n\r\n")
            try waitUntil("\(mode): the relay to close a client that stopped reading") { !setup.relay.holdsConnection(of: stopped) }
        }

        @Test func idleKeepAliveConnectionIsClosedAfterTheIdleTimeout() throws {
            let origin = try NginxOrigin(fileSizes: [1000])
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel),
                                         timeouts: [.idle("1s")])
            let client = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            defer { client.close() }
            #expect(try fetchAndCompare(client, size: 1000).ok)
            let started = Date()
            #expect(client.isClosedByPeer(), "an idle keep-alive connection is closed")
            #expect(Date().timeIntervalSince(started) < 5)
        }
    }
}

/// What a fault may not leave behind: the relay serves the next client, holds no kernel flow
/// and is back to the file descriptors it had before.
enum FaultAftermath {
    /// The relay's fd count after one exchange (`exchange` on a fresh client), so the count
    /// includes the pooled upstream connection that exchange leaves.
    static func baseline(_ relay: RelayProcess, exchange: (TestHTTPClient) throws -> Bool) throws -> Int {
        let client = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
        #expect(try exchange(client))
        client.close()
        let count = settledFileCount(relay) { _ in false }
        #expect(count > 0, "the relay's fds are readable in /proc")
        return count
    }

    static func expectClean(_ relay: RelayProcess, baseline: Int, mode: RouteMode, label: String,
                            exchange: (TestHTTPClient) throws -> Bool) throws {
        let next = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
        #expect(try exchange(next), "\(label): the next client is served")
        next.close()
        let files = settledFileCount(relay) { $0 == baseline }
        #expect(files == baseline, "\(label): relay fds \(files), before the fault \(baseline)")
        guard mode == .kernel else { return }
        try waitFor("\(label): no BPF flow left, in the map and in status", {
            (map: try relay.kernelFlowCount(), status: try relay.statusEntry()?["active_flows"] as? Int)
        }, until: { $0.map == 0 && $0.status == 0 })
        #expect(!relay.log.contains("Fatal error"), "\(label): \(relay.log)")
    }

    /// The fd count once `done` accepts it or it has not changed for 300 ms, within 5 s.
    private static func settledFileCount(_ relay: RelayProcess, done: (Int) -> Bool) -> Int {
        var last: Int?
        var stableFor = 0
        return Waiting.poll(timeout: 5, poll: 0.05, { relay.openFileCount }, until: { now in
            defer { last = now }
            stableFor = now == last ? stableFor + 1 : 0
            return done(now) || stableFor >= 6
        }).value
    }
}
