import Foundation
import Glibc
import ODBTestSupport
import Testing

extension RelayTests {
    /// The holder relay (docs/DESIGN.md, "Virtual payload"): a body answered to a peer stays in
    /// the upstream socket and a descriptor goes out instead; a claim with the token takes it,
    /// once. The test acts as the peer, with real sockets.
    @Suite struct VirtualPayloadHolder {
        /// GET /length/N, /chunked/N and /close/N answer N bytes of `pattern` framed that way
        /// (chunks of 1000 bytes); /truncated/N announces N and closes after half of them;
        /// /reset/N sends the head and 1000 bytes, then resets the connection once a request for
        /// /fire/0 arrives; /status/S answers status S without a body.
        static let origin = """
            import struct, threading
            fire = threading.Event()
            def pattern(n):
                return bytes(i % 251 for i in range(n))
            def answer(conn, head, data):
                method, target = head.split(b" ")[:2]
                kind, value = target.decode().split("/")[1:3]
                if kind == "fire":
                    fire.set()
                    conn.sendall(b"HTTP/1.1 204 Fired\\r\\n\\r\\n")
                    return data
                if kind == "status":
                    conn.sendall(b"HTTP/1.1 %s Nothing\\r\\nETag: \\"e\\"\\r\\n\\r\\n" % value.encode())
                    return data
                body = pattern(int(value))
                if kind == "length":
                    conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n" % len(body) + body)
                elif kind == "chunked":
                    chunks = [body[i:i + 1000] for i in range(0, len(body), 1000)]
                    conn.sendall(b"HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n"
                                 + b"".join(b"%x\\r\\n" % len(c) + c + b"\\r\\n" for c in chunks) + b"0\\r\\n\\r\\n")
                elif kind == "close":
                    conn.sendall(b"HTTP/1.1 200 OK\\r\\n\\r\\n" + body)
                    conn.close()
                    return None
                elif kind == "truncated":
                    conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n" % len(body) + body[:len(body) // 2])
                    conn.close()
                    return None
                elif kind == "reset":
                    conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n" % len(body) + body[:1000])
                    fire.wait()
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    conn.close()
                    return None
                return data
            """

        static func pattern(_ count: Int) -> [UInt8] {
            (0..<count).map { UInt8($0 % 251) }
        }

        @Test(arguments: relayModes)
        func descriptorsNameEachFramingAndClaimsReturnTheBodyFramedTheSameWay(mode: RouteMode) throws {
            let origin = try ScriptedOrigin(handler: Self.origin)
            let admin = freePort()
            let holder = try HolderRelay(origin: origin.port, mode: mode, admin: .listen("127.0.0.1:\(admin)"))
            let peer = try TestHTTPClient(port: holder.relay.port)
            for (path, framing, claimHeader) in [("/length/300000", "length", "Content-Length"),
                                                 ("/chunked/300000", "chunked", "Transfer-Encoding"),
                                                 ("/close/300000", "close", "Connection")] {
                let answer = try holder.askAsPeer(peer, path)
                #expect(answer.status == 200, "\(path)")
                #expect(answer.header("Content-Length") == "0" && answer.header("Transfer-Encoding") == nil,
                        "\(path): the descriptor response has no body: \(answer.headers)")
                #expect(answer.body.isEmpty)
                let descriptor = try #require(DescriptorFields(answer), "\(path): a descriptor")
                #expect(descriptor.fields["v"] == "1" && descriptor.fields["holder"] == "holder-test", "\(descriptor.fields)")
                #expect(descriptor.framing == framing, "\(path): \(descriptor.fields)")
                #expect(descriptor.length == (framing == "length" ? 300_000 : nil), "\(path): \(descriptor.fields)")
                #expect(descriptor.token.count == 32, "\(descriptor.fields)")
                let claims = try TestHTTPClient(port: holder.claimPort)
                let claimed = try holder.claim(claims, token: descriptor.token)
                #expect(claimed.status == 200, "\(path)")
                #expect(claimed.header(claimHeader) != nil, "\(path): the claim answer is framed as the origin framed it: \(claimed.headers)")
                #expect(claimed.body == Self.pattern(300_000), "\(path): \(firstDifference(claimed.body, Self.pattern(300_000)))")
                claims.close()
            }
            // The descriptor exchanges left the peer's connection reusable, close framing included.
            let plain = try peer.get("/length/10")
            #expect(plain.body == Self.pattern(10))
            // /metrics, since a relay without BPF objects has no `status` entry.
            let served = "odb_virtual_payloads_total{event=\"claims_served\"}"
            let counted = try MetricsScrape.waiting(port: admin, for: "every claim is counted") { ($0[served] ?? 0) >= 3 }
            #expect(counted[served] == 3, "\(mode): \(counted)")
            #expect(counted["odb_virtual_payloads_total{event=\"held\"}"] == 3, "\(mode): \(counted)")
        }

        /// In mode auto a claim is read by a peer relay, not by an endpoint, so it is spliced from
        /// `auto_splice_min_body` on although the claimer is on this host; the same body to a plain
        /// client on this host is copied below `auto_local_splice_min_body` (docs/PERFORMANCE.md §4).
        @Test func autoSplicesAClaimToAPeerOnThisHostAndCopiesTheSameBodyToALocalClient() throws {
            let origin = try ScriptedOrigin(handler: Self.origin)
            let holder = try HolderRelay(origin: origin.port, mode: .auto)
            let size = 1 << 20
            let expected = Self.pattern(size)

            let peer = try TestHTTPClient(port: holder.relay.port)
            defer { peer.close() }
            let descriptor = try #require(DescriptorFields(try holder.askAsPeer(peer, "/length/\(size)")))
            let claims = try TestHTTPClient(port: holder.claimPort)
            defer { claims.close() }
            let claimed = try holder.claim(claims, token: descriptor.token)
            #expect(claimed.status == 200 && claimed.body == expected, "\(firstDifference(claimed.body, expected))")
            let afterClaim = try holder.relay.bodyBytes(atLeast: size)
            // What the relay read together with the response head is copied.
            #expect(Double(afterClaim["splice"] ?? 0) >= 0.9 * Double(size), "the claim was spliced: \(afterClaim)")

            let client = try TestHTTPClient(port: holder.relay.port)
            defer { client.close() }
            let plain = try client.get("/length/\(size)")
            #expect(plain.status == 200 && plain.body == expected && plain.header("ODB-Payload") == nil)
            let afterPlain = try holder.relay.bodyBytes(atLeast: 2 * size)
            #expect(afterPlain["splice"] == afterClaim["splice"] && (afterPlain["copy"] ?? 0) - (afterClaim["copy"] ?? 0) == size,
                    "the plain client's body was copied: \(afterClaim) then \(afterPlain)")
        }

        /// A claimed body leaves its upstream connection reusable when the response allowed it:
        /// the next held body comes over the same connection, in the kernel and copied alike.
        @Test(arguments: [RouteMode.kernel, .copy])
        func aClaimedConnectionReturnsToItsPool(mode: RouteMode) throws {
            let recording = NSTemporaryDirectory() + "odb-holder-pool-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let origin = try ScriptedOrigin(handler: Self.origin, recordingDirectory: recording)
            let holder = try HolderRelay(origin: origin.port, mode: mode)
            let peer = try TestHTTPClient(port: holder.relay.port)
            let claims = try TestHTTPClient(port: holder.claimPort)
            for round in 0..<3 {
                let descriptor = try #require(DescriptorFields(try holder.askAsPeer(peer, "/length/500000")))
                let claimed = try holder.claim(claims, token: descriptor.token)
                #expect(claimed.body == Self.pattern(500_000), "round \(round)")
            }
            var marks = [String: Int]()
            let connections = origin.recorded(since: &marks)
            #expect(connections.count == 1, "three held bodies over one upstream connection: \(connections.count)")
        }

        /// The origin closed a held connection before the whole body: the claim answer is aborted
        /// after the bytes there were, never a short body that looks complete.
        @Test(arguments: [RouteMode.kernel, .copy])
        func aHeldBodyCutShortAbortsItsClaim(mode: RouteMode) throws {
            let origin = try ScriptedOrigin(handler: Self.origin)
            let admin = freePort()
            let holder = try HolderRelay(origin: origin.port, mode: mode, admin: .listen("127.0.0.1:\(admin)"))
            let peer = try TestHTTPClient(port: holder.relay.port)
            let descriptor = try #require(DescriptorFields(try holder.askAsPeer(peer, "/truncated/400000")))
            #expect(descriptor.length == 400_000)
            let claims = try TestHTTPClient(port: holder.claimPort)
            #expect(throws: TestHTTPClient.ClosedEarly.self, "the claim connection closes inside the body") {
                try holder.claim(claims, token: descriptor.token)
            }
            // /metrics, since a relay without BPF objects has no `status` entry.
            _ = try MetricsScrape.waiting(port: admin, for: "the origin's cut is an upstream error") {
                ($0["odb_upstream_errors_total"] ?? 0) >= 1
            }
        }

        /// A parked connection the origin resets is released at once, not kept until it expires.
        @Test func aHeldConnectionResetIsReleasedAtOnce() throws {
            let origin = try ScriptedOrigin(handler: Self.origin)
            let holder = try HolderRelay(origin: origin.port, holdTimeout: "300s")
            let peer = try TestHTTPClient(port: holder.relay.port)
            let descriptor = try #require(DescriptorFields(try holder.askAsPeer(peer, "/reset/100000")))
            #expect(try TestHTTPClient(port: origin.port).get("/fire/0").status == 204, "the origin resets the held connection")
            #expect(try holder.relay.waitForCounter("upstream_errors") { $0 >= 1 } == 1)
            #expect(try holder.relay.counter("held_payloads") == 0)
            #expect(holder.relay.log.contains("held upstream connection failed; its payload is released"))
            let claims = try TestHTTPClient(port: holder.claimPort)
            #expect(try holder.claim(claims, token: descriptor.token).status == 404)
        }

        @Test(arguments: [1, 65536, 4_194_304, 67_108_864])
        func claimsReturnTheExactBytesAndKernelRoutesMoveThemInTheKernel(size: Int) throws {
            let origin = try NginxOrigin(fileSizes: [size])
            let holder = try HolderRelay(origin: origin.port)
            let peer = try TestHTTPClient(port: holder.relay.port)
            let claims = try TestHTTPClient(port: holder.claimPort)
            let expected = try TestContent.bytes(size: size)
            let kernelBefore = try holder.relay.counter("kernel", in: "body_bytes")
            for _ in 0..<2 {
                let answer = try holder.askAsPeer(peer, "/files/\(size).bin")
                let descriptor = try #require(DescriptorFields(answer), "round \(round): \(answer.status) \(answer.headers)")
                #expect(descriptor.framing == "length" && descriptor.length == size, "\(descriptor.fields)")
                let claimed = try holder.claim(claims, token: descriptor.token)
                #expect(claimed.status == 200 && claimed.header("Content-Length") == String(size))
                #expect(claimed.body == expected, "\(size): \(firstDifference(claimed.body, expected))")
                // Single use, and the claim connection goes on after the refusal.
                #expect(try holder.claim(claims, token: descriptor.token).status == 404)
            }
            if size >= 65536 {
                let bytes = try holder.relay.waitForCounter("kernel", in: "body_bytes") { $0 >= kernelBefore + size }
                #expect(bytes >= kernelBefore + size, "a held \(size) B body crossed the relay in the kernel")
            }
        }

        @Test func claimsWithoutTheSecretOrAValidTargetAreRefusedAndTheConnectionStays() throws {
            let origin = try NginxOrigin(fileSizes: [4096])
            let holder = try HolderRelay(origin: origin.port)
            let peer = try TestHTTPClient(port: holder.relay.port)
            let descriptor = try #require(DescriptorFields(try holder.askAsPeer(peer, "/files/4096.bin")))
            let claims = try TestHTTPClient(port: holder.claimPort)
            let missing = try holder.claim(claims, token: descriptor.token, headers: "")
            let wrong = try holder.claim(claims, token: descriptor.token, headers: "ODB-Peer: not-the-secret-at-all-0000\r\n")
            let malformed = try holder.claim(claims, token: "not-a-token")
            let unknown = try holder.claim(claims, token: String(repeating: "0", count: 32))
            let statuses = [missing.status, wrong.status, malformed.status, unknown.status]
            #expect(statuses == [403, 403, 400, 404])
            let empty = [missing, wrong, malformed, unknown].allSatisfy { $0.body.isEmpty && $0.header("Content-Length") == "0" }
            #expect(empty, "refusals have empty bodies")
            // None of them took the payload: the right claim still gets it, on the same connection.
            let claimed = try holder.claim(claims, token: descriptor.token)
            let expected = try TestContent.bytes(size: 4096)
            #expect(claimed.status == 200 && claimed.body == expected)
        }

        @Test func aPlainClientGetsTheRealBodyAndNoDescriptor() throws {
            let origin = try NginxOrigin(fileSizes: [1_048_576])
            let holder = try HolderRelay(origin: origin.port)
            let client = try TestHTTPClient(port: holder.relay.port)
            let expected = try TestContent.bytes(size: 1_048_576)
            for extra in ["", "ODB-Peer: a-wrong-secret-of-some-length\r\n"] {
                let response = try client.get("/files/1048576.bin", extra: extra)
                #expect(response.status == 200 && response.body == expected)
                #expect(response.header("ODB-Payload") == nil)
            }
            try holder.relay.waitForCounter("requests") { $0 >= 2 }
            #expect(try holder.relay.counter("held", in: "virtual_payloads") == 0)
        }

        @Test func headNoContentAndNotModifiedAreNeverHeld() throws {
            let origin = try ScriptedOrigin(handler: Self.origin)
            let holder = try HolderRelay(origin: origin.port, logLevel: "info", accessLog: true)
            let peer = try TestHTTPClient(port: holder.relay.port)
            for (method, path, status) in [("HEAD", "/length/5000", 200), ("GET", "/status/204", 204), ("GET", "/status/304", 304)] {
                let answer = try holder.askAsPeer(peer, path, method: method)
                #expect(answer.status == status, "\(method) \(path)")
                #expect(answer.header("ODB-Payload") == nil, "\(method) \(path): \(answer.headers)")
            }
            let held = try holder.askAsPeer(peer, "/length/5000")
            #expect(DescriptorFields(held) != nil, "the connection is in step after them, and a body is held")
            #expect(try holder.relay.waitForCounter("held", in: "virtual_payloads") { $0 >= 1 } == 1)
            // The access log names the descriptor answer's path; the others carried no body.
            #expect(holder.relay.waitForLog("\"GET /length/5000 HTTP/1.1\" 200 0 "))
            let lines = holder.relay.log.split(separator: "\n").filter { $0.contains("\"GET /length/5000 HTTP/1.1\"") }
            #expect(lines.count == 1 && lines[0].contains(" virtual "), "\(lines)")
            #expect(holder.relay.log.split(separator: "\n").filter { $0.contains(" virtual ") }.count == 1)
        }

        @Test func anUnclaimedPayloadExpiresAndItsUpstreamConnectionCloses() throws {
            let origin = try NginxOrigin(fileSizes: [4_194_304])
            let holder = try HolderRelay(origin: origin.port, holdTimeout: "1s")
            let peer = try TestHTTPClient(port: holder.relay.port)
            let descriptor = try #require(DescriptorFields(try holder.askAsPeer(peer, "/files/4194304.bin")))
            let upstreams = { () -> Int in
                let held = socketInodes(pid: holder.relay.pid)
                return TCPSocketRow.all().filter { $0.remotePort == origin.port && held.contains($0.inode) }.count
            }
            try waitUntil("the relay's upstream connection closes at expiry") { upstreams() == 0 }
            #expect(try holder.relay.waitForCounter("expired", in: "virtual_payloads") { $0 >= 1 } == 1)
            #expect(try holder.relay.counter("held_payloads") == 0)
            let claims = try TestHTTPClient(port: holder.claimPort)
            #expect(try holder.claim(claims, token: descriptor.token).status == 404)
            #expect(holder.relay.log.contains("held payload expired unclaimed"))
        }

        @Test func overMaxHeldPayloadsTheBodyIsServedForReal() throws {
            let origin = try NginxOrigin(fileSizes: [65536])
            let holder = try HolderRelay(origin: origin.port, maxHeldPayloads: 2)
            let peer = try TestHTTPClient(port: holder.relay.port)
            let answers = try (0..<3).map { _ in try holder.askAsPeer(peer, "/files/65536.bin") }
            #expect(answers.prefix(2).allSatisfy { DescriptorFields($0) != nil })
            #expect(DescriptorFields(answers[2]) == nil)
            #expect(answers[2].body == (try TestContent.bytes(size: 65536)), "the third body is served for real")
            #expect(try holder.relay.waitForCounter("over_cap", in: "virtual_payloads") { $0 >= 1 } == 1)
            #expect(try holder.relay.counter("held_payloads") == 2)
            // `status` lists what is held by digest, size and upstream; never the token.
            let (listed, output) = try holder.heldPayloads()
            #expect(listed.count == 2, "\(listed)")
            #expect(listed.allSatisfy { ($0["length"] as? Int) == 65536 && ($0["framing"] as? String) == "length" })
            #expect(listed.allSatisfy { ($0["upstream"] as? String) == "127.0.0.1:\(origin.port)" && ($0["age_seconds"] as? Double ?? -1) >= 0 })
            let tokens = answers.prefix(2).compactMap { DescriptorFields($0)?.token }
            #expect(tokens.count == 2 && tokens.allSatisfy { !output.contains($0) }, "status never shows a token")
            #expect(Set(listed.compactMap { $0["token_digest"] as? String }).count == 2)
        }

        /// A thousand payloads held at once stay within docs/OPERATIONS.md's bound: each costs at
        /// most its upstream socket's receive buffer (its length when smaller), and the relay's
        /// `held_payload_bytes` gauge is the sum of those bounds.
        @Test func aThousandHeldPayloadsStayWithinTheirMemoryBound() throws {
            let count = 1000
            let origin = try NginxOrigin(fileSizes: [262_144])
            let holder = try HolderRelay(origin: origin.port, holdTimeout: "300s", maxHeldPayloads: count)
            let systemBefore = TCPMemory.systemBytes()
            let residentBefore = ProcessMemory.residentSize(pid: holder.relay.pid)
            let peer = try TestHTTPClient(port: holder.relay.port)
            for index in 0..<count {
                let answer = try holder.askAsPeer(peer, "/files/262144.bin")
                #expect(DescriptorFields(answer)?.length == 262_144, "payload \(index) is held")
            }
            #expect(try holder.relay.waitForCounter("held_payloads") { $0 >= count } == count)
            let bound = try holder.relay.counter("held_payload_bytes")
            // The origin fills every parked socket as far as its receive buffer lets it.
            let sockets = try waitFor("the origin to fill the held sockets", {
                try ProcessMemory.sockets(pid: holder.relay.pid)
            }, until: { $0.count > count && $0.charged > count * 100_000 })
            let resident = ProcessMemory.residentSize(pid: holder.relay.pid) - residentBefore
            let systemGrowth = TCPMemory.systemBytes() - systemBefore
            print("held \(count) x 256 KiB: relay TCP memory \(sockets.charged) B (\(sockets.charged / count) B each), "
                  + "bound \(bound) B (\(bound / count) B each), relay RSS +\(resident) B (\(resident / count) B each), "
                  + "all TCP memory +\(systemGrowth) B (\(systemGrowth / count) B each, origin send queues included)")
            // docs/OPERATIONS.md: a held payload's socket holds at most its bound and 8 KiB of the
            // kernel's rounding (skb truesize, forward allocation), and 32 KiB of user space.
            #expect(sockets.charged <= bound + count * 8192, "the relay's sockets use \(sockets.charged) B for \(bound) B of bounds")
            #expect(bound <= count * 160 << 10, "each bound is one default receive buffer (128 KiB) and the head's read")
            #expect(resident <= count * 32768, "the relay grew by \(resident) B in user space")
        }

        /// Claims accepted by either worker: SO_REUSEPORT spreads claim connections over both, so
        /// some land on the worker that does not hold the payload and go through its mailbox.
        @Test func claimsLandingOnTheOtherWorkerAreHandedToTheHolder() throws {
            let origin = try NginxOrigin(fileSizes: [1_048_576])
            let holder = try HolderRelay(origin: origin.port, workers: 2, logLevel: "debug")
            let expected = try TestContent.bytes(size: 1_048_576)
            let peer = try TestHTTPClient(port: holder.relay.port)
            var keptClaims = try TestHTTPClient(port: holder.claimPort)
            for round in 0..<24 {
                let descriptor = try #require(DescriptorFields(try holder.askAsPeer(peer, "/files/1048576.bin")))
                // Half the claims on fresh connections (any worker), half on one kept connection.
                let claims = round % 2 == 0 ? try TestHTTPClient(port: holder.claimPort) : keptClaims
                let claimed = try holder.claim(claims, token: descriptor.token)
                #expect(claimed.status == 200 && claimed.body == expected, "round \(round)")
                if round % 2 == 0 { claims.close() }
                if round == 11 { keptClaims = try TestHTTPClient(port: holder.claimPort) }
            }
            #expect(holder.relay.waitForLog("claim taken over from another worker"), "some claims were handed over")
            #expect(try holder.relay.waitForCounter("claims_served", in: "virtual_payloads") { $0 >= 24 } == 24)
        }

        /// One claim connection kept for many claims while peers' requests land on both workers:
        /// the claims whose payload the other worker holds are handed over on a connection that
        /// already carried megabytes. The adopting worker counts on from those bytes, so the
        /// verdict finds the slowly read target over its 1 MiB budget and passes to user space,
        /// and user space writes passed bytes only behind the redirected ones still queued: every
        /// body arrives in order.
        @Test func handedOverClaimsOnAKeptConnectionKeepTheBudgetAndTheOrder() throws {
            let size = 8 << 20
            let origin = try NginxOrigin(fileSizes: [size])
            let holder = try HolderRelay(origin: origin.port, workers: 2, flowBudget: "1MiB", logLevel: "debug")
            let expected = try TestContent.bytes(size: size)
            let claims = try TestHTTPClient(port: holder.claimPort)
            defer { claims.close() }
            // Rounds go on until a claim handed over after earlier ones was paced by the budget
            // (each later claim is handed over with even odds), at least 6 and at most 40.
            var handedOverWithBudgetPasses = 0
            var rounds = 0
            while rounds < 40, rounds < 6 || handedOverWithBudgetPasses == 0 {
                let round = rounds
                rounds += 1
                // A fresh peer connection each round: SO_REUSEPORT puts it on either worker, and
                // that worker holds the payload.
                let peer = try TestHTTPClient(port: holder.relay.port)
                let answer = try holder.askAsPeer(peer, "/files/\(size).bin")
                let descriptor = try #require(DescriptorFields(answer), "round \(round): \(answer.status) \(answer.headers)")
                peer.close()
                let handOversBefore = holder.relay.log.components(separatedBy: "claim taken over").count
                let passesBefore = try holder.relay.kernelCounter("budget_passes")
                try claims.send("GET /odb/v1/payload/\(descriptor.token) HTTP/1.1\r\nHost: holder-test\r\n\(HolderRelay.peerHeader)\r\n")
                let claimed = try claims.readResponse { _ in 4000 }  // 64 KiB per 4 ms: at most 16 MiB/s
                #expect(claimed.status == 200 && claimed.body == expected,
                        "round \(round): \(firstDifference(claimed.body, expected))")
                let handedOver = holder.relay.log.components(separatedBy: "claim taken over").count > handOversBefore
                let passes = try holder.relay.kernelCounter("budget_passes") - passesBefore
                print("round \(round): handed over \(handedOver), budget passes +\(passes)")
                if round > 0, handedOver, passes > 0 { handedOverWithBudgetPasses += 1 }
            }
            #expect(handedOverWithBudgetPasses >= 1, "a claim handed over after earlier ones was paced by the budget")
            #expect(try holder.relay.waitForCounter("claims_served", in: "virtual_payloads") { $0 >= rounds } == rounds)
        }
    }
}
