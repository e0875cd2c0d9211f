import Foundation
import Glibc
import ODBTestSupport
import Testing

extension RelayTests {
    /// Failures end in a clear status or a closed connection, never a complete-looking lie.
    @Suite struct Faults {
        /// Announces 50 MiB, sends 5 MiB, then dies; every other request gets a small answer.
        static let dyingOrigin = """
            def answer(conn, head, data):
                if b"/die" in head.split(b"\\r\\n")[0]:
                    conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 52428800\\r\\n\\r\\n" + b"x" * (5 << 20))
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00")
                    conn.close()
                    return None
                conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok")
                return data
            """

        @Test(arguments: relayModes)
        func upstreamDyingMidBodyClosesTheClientAndServingGoesOn(mode: String) throws {
            let origin = try ScriptedOrigin(handler: Self.dyingOrigin)
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], mode: mode)
            let victim = try TestHTTPClient(port: relay.port)
            defer { victim.close() }
            try victim.send("GET /die HTTP/1.1\r\nHost: test\r\n\r\n")
            #expect(throws: TestHTTPClient.ClosedEarly.self, "\(mode): a truncated body must end in a closed connection") {
                _ = try victim.readResponse()
            }
            let other = try TestHTTPClient(port: relay.port)
            defer { other.close() }
            let response = try other.get("/fine")
            #expect(response.status == 200)
            #expect(response.body == Array("ok".utf8))
        }

        @Test func unreachableUpstreamGets502() throws {
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(freePort())"], mode: "kernel")
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            let response = try client.get("/anything")
            #expect(response.status == 502)
            #expect(String(decoding: response.body, as: UTF8.self).contains("no upstream server"))
        }

        @Test func malformedRequestGets400AndNothingReachesTheUpstream() throws {
            let origin = try NginxOrigin(fileSizes: [1000])
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], mode: "kernel")
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
        @Test(arguments: relayModes)
        func clientGoneMidBodyLeavesNoFlowAndServingGoesOn(mode: String) throws {
            let setup = try RelayUnderTest(mode: mode, sizes: [67_108_864, 1000])
            let quitter = try TestHTTPClient(port: setup.relay.port)
            try quitter.send("GET /files/67108864.bin HTTP/1.1\r\nHost: test\r\n\r\n")
            var received = [UInt8](repeating: 0, count: 1 << 20)
            _ = recv(quitter.fd, &received, received.count, Int32(MSG_WAITALL))
            quitter.close()
            usleep(500_000)
            let next = try TestHTTPClient(port: setup.relay.port)
            defer { next.close() }
            #expect(try fetchAndCompare(next, size: 1000).ok, "\(mode): the relay serves after a client left mid-body")
            // Only a kernel-mode relay has BPF state, and with it a status entry.
            guard mode == "kernel" else { return }
            usleep(400_000)
            let entry = try setup.relay.statusEntry()
            #expect((entry?["active_flows"] as? Int ?? 0) == 0, "\(mode): no flow outlives its client: \(entry ?? [:])")
            #expect((entry?["active_connections"] as? Int ?? 0) <= 1, "\(mode): the abandoned connection is closed")
        }

        @Test func idleKeepAliveConnectionIsClosedAfterTheIdleTimeout() throws {
            let origin = try NginxOrigin(fileSizes: [1000])
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], mode: "kernel", extraTop: """
                timeouts:
                  idle: 1s
                """)
            let client = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            defer { client.close() }
            #expect(try fetchAndCompare(client, size: 1000).ok)
            let started = Date()
            #expect(client.isClosedByPeer(), "an idle keep-alive connection is closed")
            #expect(Date().timeIntervalSince(started) < 5)
        }
    }
}
