import Foundation
import Glibc
import ODBTestSupport
import Testing

extension RelayTests {
    /// HTTP/1.1 semantics the relay owes both sides.
    @Suite struct HTTPSemantics {
        /// Answers every request with its own head as the body, so a test sees what arrived.
        static let echoOrigin = """
            def answer(conn, head, data):
                length = 0
                for line in head.split(b"\\r\\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length": length = int(value)
                    if name.strip().lower() == b"expect":
                        conn.sendall(b"HTTP/1.1 100 Continue\\r\\n\\r\\n")
                while len(data) < length:
                    data += conn.recv(65536)
                body, data = data[:length], data[length:]
                reply = head + b"\\r\\n\\r\\nbody-bytes:" + str(len(body)).encode()
                if head.startswith(b"HEAD"):
                    conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 12345\\r\\n\\r\\n")
                elif b"/no-content" in head.split(b"\\r\\n")[0]:
                    conn.sendall(b"HTTP/1.1 204 No Content\\r\\n\\r\\n")
                else:
                    conn.sendall(b"HTTP/1.1 200 OK\\r\\nConnection: keep-alive, X-Secret\\r\\nX-Secret: hop\\r\\n"
                                 + b"Keep-Alive: timeout=5\\r\\nContent-Length: " + str(len(reply)).encode() + b"\\r\\n\\r\\n" + reply)
                return data
            """

        @Test func hopByHopHeadersGoAndForwardingHeadersArrive() throws {
            let origin = try ScriptedOrigin(handler: Self.echoOrigin)
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel))
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            let response = try client.get("/echo", extra: "Connection: X-Private\r\nX-Private: 1\r\nKeep-Alive: 300\r\nTE: trailers\r\n")
            let seen = String(decoding: response.body, as: UTF8.self).lowercased()
            #expect(response.status == 200)
            #expect(!seen.contains("x-private"), "a header named in Connection must not be forwarded: \(seen)")
            #expect(!seen.contains("keep-alive:") && !seen.contains("\r\nte:"), "hop-by-hop headers forwarded: \(seen)")
            #expect(seen.contains("x-forwarded-for: 127.0.0.1"))
            #expect(seen.contains("via: 1.1 odb-redirect"))
            #expect(response.header("X-Secret") == nil, "response header named in Connection reached the client")
            #expect(response.header("Keep-Alive") == nil)
            #expect(response.header("Via")?.contains("odb-redirect") == true)
        }

        @Test func dotSegmentsAreRefusedBeforeRouting() throws {
            let origin = try ScriptedOrigin(handler: Self.echoOrigin)
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.copy))
            for path in ["/public/../secret/x", "/public/%2e%2e/secret/x", "/public/./x"] {
                let client = try TestHTTPClient(port: relay.port)
                defer { client.close() }
                let response = try client.get(path)
                #expect(response.status == 400, "\(path)")
                #expect(String(decoding: response.body, as: UTF8.self).contains("dot-segments"))
            }
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            let plain = try client.get("/public/..x/secret")
            #expect(plain.status == 200)
            let seen = String(decoding: plain.body, as: UTF8.self)
            #expect(seen.hasPrefix("GET /public/..x/secret "), "only the request without a dot-segment arrived: \(seen)")
        }

        @Test func forwardingFieldsAreKeptOnlyFromTrustedListeners() throws {
            let origin = try ScriptedOrigin(handler: Self.echoOrigin)
            let forged = "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n"
            for trusted in [false, true] {
                let relay = try RelayProcess { port in
                    RelayConfigFile(workers: nil, log: nil,
                                    listeners: [ListenerOptions(listen: "127.0.0.1:\(port)", trustForwarded: trusted,
                                                                routes: [RouteOptions()])],
                                    upstreams: [(name: "origin", servers: ["127.0.0.1:\(origin.port)"])])
                }
                let client = try TestHTTPClient(port: relay.port)
                defer { client.close() }
                let seen = String(decoding: try client.get("/echo", extra: forged).body, as: UTF8.self).lowercased()
                if trusted {
                    #expect(seen.contains("x-forwarded-for: 203.0.113.9, 127.0.0.1"), "\(seen)")
                    #expect(seen.contains("x-forwarded-proto: https"), "\(seen)")
                } else {
                    #expect(seen.contains("x-forwarded-for: 127.0.0.1\r\n"), "\(seen)")
                    #expect(!seen.contains("203.0.113.9") && seen.contains("x-forwarded-proto: http\r\n"), "\(seen)")
                }
            }
        }

        @Test func headAnd204HaveNoBodyAndTheConnectionStaysUsable() throws {
            let origin = try ScriptedOrigin(handler: Self.echoOrigin)
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel))
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            try client.send("HEAD /x HTTP/1.1\r\nHost: test\r\n\r\n")
            let head = try client.readResponse(headRequest: true)
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "12345")
            let noContent = try client.get("/no-content")
            #expect(noContent.status == 204)
            let after = try client.get("/after")
            #expect(after.status == 200, "the connection carries on after HEAD and 204")
            #expect(String(decoding: after.body, as: UTF8.self).hasPrefix("GET /after HTTP/1.1"))
        }

        @Test func expectContinueReachesTheClientBeforeTheBody() throws {
            let origin = try ScriptedOrigin(handler: Self.echoOrigin)
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel))
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            try client.send("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            let interim = try client.readResponse()
            #expect(interim.status == 100)
            try client.send("hello")
            let final = try client.readResponse()
            #expect(final.status == 200)
            #expect(String(decoding: final.body, as: UTF8.self).hasSuffix("body-bytes:5"))
        }

        @Test func ipv6ListenerAndUpstreamByHostName() throws {
            let origin = try NginxOrigin(fileSizes: [1_048_577])
            let port = freePort()
            let config = NSTemporaryDirectory() + "odb-v6-\(getpid()).yaml"
            try RelayConfigFile(workers: 1, log: nil,
                                listeners: [ListenerOptions(listen: "[::1]:\(port)", routes: [RouteOptions(.kernel)])],
                                upstreams: [(name: "origin", servers: ["localhost:\(origin.port)"])])
                .yaml.write(toFile: config, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: config) }
            let relay = try RelayProcess(commandLine: ["relay", "--config", config], port: port, host: "::1")
            let client = try TestHTTPClient(port: relay.port, host: "::1")
            defer { client.close() }
            let result = try fetchAndCompare(client, size: 1_048_577)
            #expect(result.ok, "\(result.detail)")
        }

        @Test func slowlorisIsClosedAfterTheHeadReadTimeout() throws {
            let origin = try NginxOrigin(fileSizes: [1000])
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel),
                                         timeouts: [.headRead("1s")])
            let slow = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            defer { slow.close() }
            let started = Date()
            try slow.send("GET /files/1000.bin HTTP/1.1\r\n")
            usleep(300_000)  // the slow client under test: the head keeps trickling in
            try slow.send("Host: te")
            let response = try slow.readResponse()
            #expect(response.status == 408)
            #expect(Date().timeIntervalSince(started) < 5)
            let healthy = try TestHTTPClient(port: relay.port)
            defer { healthy.close() }
            #expect(try fetchAndCompare(healthy, size: 1000).ok, "others are still served")
        }
    }
}

extension RelayTests {
    /// After 101 Switching Protocols the relay is a two-way byte pipe with half-close.
    @Suite struct Upgrade {
        /// Switches protocols, echoes every byte, and on the client's half-close says "bye".
        static let upgradingEcho = """
            def answer(conn, head, data):
                conn.sendall(b"HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: echo\\r\\nConnection: Upgrade\\r\\n\\r\\n")
                while True:
                    chunk = data or conn.recv(65536)
                    data = b""
                    if not chunk:
                        conn.sendall(b"bye")
                        conn.close()
                        return None
                    conn.sendall(chunk)
            """

        @Test(arguments: relayModes)
        func upgradedConnectionCarriesBytesBothWaysAndHalfCloses(mode: RouteMode) throws {
            let origin = try ScriptedOrigin(handler: Self.upgradingEcho)
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(mode))
            let client = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            defer { client.close() }
            try client.send("GET /chat HTTP/1.1\r\nHost: test\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
            let switched = try client.readResponse()
            #expect(switched.status == 101)
            #expect(switched.header("Upgrade") == "echo")
            let payload = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try client.send(payload)
            let echoed = try client.readBytes(payload.count)
            #expect(echoed == payload, "\(mode): the echo through the tunnel is byte-exact")
            shutdown(client.fd, Int32(SHUT_WR))
            let tail = try client.readToEnd()
            #expect(tail == Array("bye".utf8), "\(mode): the half-close reached the origin and its answer came back")
        }
    }
}
