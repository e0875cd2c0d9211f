import Foundation
import Glibc
import ODBTestSupport
import Testing

extension RelayTests {
    /// The descriptor-receiving side of the virtual payload (docs/DESIGN.md, "Virtual payload"):
    /// relays in a chain pass a holder's descriptor on, head only, and the relay facing the
    /// client (or a route that needs the bytes) claims the body from the holder.
    @Suite struct VirtualPayloadChain {
        /// Reads `target` on `client` and checks the body is the holders' pattern of `size` bytes.
        @discardableResult
        static func fetch(_ client: TestHTTPClient, _ target: String, size: Int, expected: [UInt8]? = nil) throws -> TestHTTPClient.Response {
            let response = try client.get(target)
            let body = expected ?? BuiltinHolder.body(size: size)
            #expect(response.status == 200, "\(target): status \(response.status)")
            #expect(response.body == body, "\(target): \(firstDifference(response.body, body))")
            #expect(response.header("ODB-Payload") == nil, "\(target): no descriptor reaches a client")
            return response
        }

        static func virtualCounter(_ relay: RelayProcess, _ key: String) throws -> Int {
            try relay.counter(key, in: "virtual_payloads")
        }

        /// Body bytes the relay carried, by any path.
        static func bodyBytes(_ relay: RelayProcess) throws -> Int {
            (try relay.statusEntry()?["body_bytes"] as? [String: Int] ?? [:]).values.reduce(0, +)
        }

        /// Body bytes the relay carried once they are at least `total`.
        static func totalBodyBytes(_ relay: RelayProcess, atLeast total: Int) throws -> Int {
            try relay.bodyBytes(atLeast: total).values.reduce(0, +)
        }

        /// A chain of `length` relays in front of `holder`, every relay claiming from it.
        static func chain(_ length: Int, before holder: some ChainHolder, mode: RouteMode = .kernel,
                          admin: (_ index: Int) -> AdminOptions? = { _ in nil },
                          routes: ((_ index: Int) -> [RouteOptions])? = nil) throws -> VirtualChain {
            try VirtualChain(length: length, origin: "127.0.0.1:\(holder.port)", peers: [holder.peer], mode: mode,
                             admin: admin, routes: routes)
        }

        /// One relay's configuration: a listener on `port` with `routes` to `upstreams` (servers on
        /// loopback), claiming from `peers`; its upstreams are ODB peers unless `trustsUpstreams`
        /// is false, when a descriptor from them is forged.
        static func relayConfig(_ port: Int, peers: [(name: String, address: String)], upstreams: [(name: String, port: Int)],
                                routes: [RouteOptions] = [RouteOptions(.kernel, odb: "intermediate")],
                                trustsUpstreams: Bool = true) -> RelayConfigFile {
            RelayConfigFile(odb: VirtualPayloadOptions(peers: peers),
                            listeners: [ListenerOptions(listen: "127.0.0.1:\(port)", routes: routes)],
                            upstreams: upstreams.map { (name: $0.name, servers: ["127.0.0.1:\($0.port)"]) },
                            peerUpstreams: trustsUpstreams ? Set(upstreams.map(\.name)) : [])
        }

        /// Waits until `edge` has claimed `claims` bodies, with none failed and none in flight.
        static func waitForClaims(_ edge: RelayProcess, _ claims: Int) throws {
            try edge.waitForCounter("claims", in: "virtual_payloads") { $0 == claims }
            try edge.waitForCounter("claims_in_flight") { $0 == 0 }
            try edge.waitForCounter("claims_failed", in: "virtual_payloads") { $0 == 0 }
        }

        /// Waits until every relay between the edge and the holder has passed `descriptors` on,
        /// and checks that none of them carried a body byte or claimed a body.
        static func expectPassedOnOnly(_ chain: VirtualChain, _ descriptors: Int, _ context: String = "") throws {
            for relay in chain.intermediates {
                try relay.waitForCounter("passed", in: "virtual_payloads") { $0 == descriptors }
                #expect(try bodyBytes(relay) == 0, "\(context)an intermediate carries no body byte")
                #expect(try virtualCounter(relay, "claims") == 0, "\(context)an intermediate claims nothing")
            }
        }

        /// A listener nothing should ever connect to; `connected` says whether something did.
        final class Trap {
            let fd: Int32
            let port: Int

            init() throws {
                let listener = try #require(loopbackListener())
                fd = listener.fd
                port = listener.port
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            }

            var connected: Bool {
                let accepted = accept(fd, nil, nil)
                if accepted >= 0 { Glibc.close(accepted) }
                return accepted >= 0
            }

            deinit { Glibc.close(fd) }
        }

        @Test func contentLengthBodiesThroughChainsOfOneToFourRelays() throws {
            let holder = try BuiltinHolder()
            let sizes = [1, 1000, 65_537, 1_048_577, 4_194_307]
            let large = 67_108_864
            let expected = Dictionary(uniqueKeysWithValues: (sizes + [large]).map { ($0, BuiltinHolder.body(size: $0)) })
            for length in 1...4 {
                let chain = try Self.chain(length, before: holder)
                let client = try TestHTTPClient(port: chain.edge.port)
                defer { client.close() }
                let fetched = length == 1 || length == 4 ? sizes + [large] : sizes
                for size in fetched + fetched.reversed() {
                    try Self.fetch(client, "/bytes/\(size)", size: size, expected: expected[size])
                }
                let total: Int = 2 * fetched.reduce(0, +)
                try Self.waitForClaims(chain.edge, 2 * fetched.count)
                #expect(try Self.totalBodyBytes(chain.edge, atLeast: total) == total, "chain of \(length): the edge carried every body byte")
                try Self.expectPassedOnOnly(chain, 2 * fetched.count, "chain of \(length): ")
            }
        }

        /// Splice and copy relays have no kernel objects and so no `status` entry: their counters
        /// are read from the admin endpoint.
        @Test(arguments: [RouteMode.splice, .copy, .auto])
        func claimedBodiesTakeTheRoutesPath(mode: RouteMode) throws {
            let holder = try BuiltinHolder()
            let admin = (freePort(), freePort())
            let chain = try Self.chain(2, before: holder, mode: mode, admin: { .listen("127.0.0.1:\($0 == 0 ? admin.0 : admin.1)") })
            let client = try TestHTTPClient(port: chain.edge.port)
            defer { client.close() }
            // 8 MiB: auto splices from there on to a client on its host.
            let sizes = [1, 65_537, 8_388_611]
            for size in sizes { try Self.fetch(client, "/bytes/\(size)", size: size) }
            let total = Double(sizes.reduce(0, +))
            let edge = try MetricsScrape.waiting(port: admin.0, for: "every claimed body counted, none in flight") {
                $0["odb_virtual_payloads_total{event=\"claims\"}"] == Double(sizes.count) && $0["odb_claims_in_flight"] == 0
            }
            let bytes = ["kernel", "splice", "copy"].map { edge["odb_body_bytes_total{path=\"\($0)\"}"] ?? 0 }
            #expect(bytes.reduce(0, +) == total, "\(mode): \(bytes)")
            switch mode {
            case .splice: #expect(bytes[0] == 0 && bytes[1] > 0, "\(bytes)")
            case .copy: #expect(bytes[2] == total, "\(bytes)")
            // What the edge read together with the claim's head is copied.
            default: #expect(bytes[0] == 0 && bytes[1] >= 0.95 * Double(sizes.last!), "auto splices the 8 MiB claim, copies the rest: \(bytes)")
            }
            let middle = try MetricsScrape.waiting(port: admin.1, for: "every descriptor passed on") {
                $0["odb_virtual_payloads_total{event=\"passed\"}"] == Double(sizes.count)
            }
            #expect(["kernel", "splice", "copy"].allSatisfy { middle["odb_body_bytes_total{path=\"\($0)\"}"] == 0 }, "\(middle)")
        }

        /// Clients that hang up in the middle of a claimed body end their claims without failing
        /// them, whichever path moved the body: the holder and the claim connection did nothing
        /// wrong.
        @Test(arguments: [RouteMode.kernel, .splice, .copy])
        func clientsHangingUpMidClaimFailNoClaim(mode: RouteMode) throws {
            let holder = try BuiltinHolder()
            let admin = freePort()
            let chain = try Self.chain(1, before: holder, mode: mode, admin: { _ in .listen("127.0.0.1:\(admin)") })
            let size = 67_108_864
            let hangUps = 6
            for _ in 0..<hangUps {
                let leaving = try TestHTTPClient(port: chain.edge.port)
                try leaving.send("GET /bytes/\(size) HTTP/1.1\r\nHost: test\r\n\r\n")
                #expect(try leaving.readBytes(1 << 20).count == 1 << 20, "the body was under way")
                leaving.reset()
            }
            let counters = try MetricsScrape.waiting(port: admin, for: "every claim ended") {
                $0["odb_virtual_payloads_total{event=\"claims\"}"] == Double(hangUps) && $0["odb_claims_in_flight"] == 0
            }
            #expect(counters["odb_virtual_payloads_total{event=\"claims_failed\"}"] == 0, "\(mode)")
            #expect(counters["odb_upstream_errors_total"] == 0, "\(mode): a client's hang-up is no upstream error")
            let staying = try TestHTTPClient(port: chain.edge.port)
            defer { staying.close() }
            try Self.fetch(staying, "/bytes/100003", size: 100_003)
        }

        /// nginx is a plain origin: a holder relay in front of it holds its bodies for the chain.
        @Test func throughAHolderRelayInFrontOfNginx() throws {
            let sizes = [0, 1, 65_537, 1_048_577, 67_108_864]
            let nginx = try NginxOrigin(fileSizes: sizes)
            let claimPort = freePort()
            let holder = try RelayProcess { port in
                RelayConfigFile(odb: VirtualPayloadOptions(name: "relay-holder", claimListen: "127.0.0.1:\(claimPort)"),
                                listeners: [ListenerOptions(listen: "127.0.0.1:\(port)", routes: [RouteOptions(.kernel, odb: "holder")])],
                                upstreams: [(name: "origin", servers: ["127.0.0.1:\(nginx.port)"])])
            }
            let held = 2 * (sizes.count - 1)
            for length in [1, 3] {
                let chain = try VirtualChain(length: length, origin: "127.0.0.1:\(holder.port)",
                                             peers: [("relay-holder", "127.0.0.1:\(claimPort)")])
                let client = try TestHTTPClient(port: chain.edge.port)
                defer { client.close() }
                for size in sizes + sizes.reversed() {
                    let result = try fetchAndCompare(client, size: size)
                    #expect(result.ok, "chain of \(length): \(result.detail)")
                }
                try Self.waitForClaims(chain.edge, held)
                try Self.expectPassedOnOnly(chain, held, "chain of \(length): ")
            }
            try holder.waitForCounter("claims_served", in: "virtual_payloads") { $0 == 2 * held }
            #expect(try Self.virtualCounter(holder, "held") == 2 * held)
        }

        @Test func pipelinedKeptAliveHeadAndHTTP10Requests() throws {
            let holder = try BuiltinHolder()
            let chain = try Self.chain(3, before: holder)
            let client = try TestHTTPClient(port: chain.edge.port)
            defer { client.close() }
            let sizes = [5, 70_000, 1, 1_048_577, 300]
            try client.send(sizes.map { "GET /bytes/\($0) HTTP/1.1\r\nHost: test\r\n\r\n" }.joined())
            for size in sizes {
                let response = try client.readResponse()
                let expected = BuiltinHolder.body(size: size)
                #expect(response.status == 200)
                #expect(response.body == expected, "pipelined \(size): \(firstDifference(response.body, expected))")
            }
            try client.send("HEAD /bytes/1000 HTTP/1.1\r\nHost: test\r\n\r\n")
            let head = try client.readResponse(headRequest: true)
            #expect(head.status == 200 && head.header("Content-Length") == "1000" && head.header("ODB-Payload") == nil)
            try Self.fetch(client, "/bytes/10", size: 10)
            try chain.relays[1].waitForCounter("passed", in: "virtual_payloads") { $0 == sizes.count + 1 }

            let old = try TestHTTPClient(port: chain.edge.port)
            defer { old.close() }
            try old.send("GET /bytes/70000 HTTP/1.0\r\nHost: test\r\n\r\n")
            let response = try old.readResponse()
            #expect(response.status == 200 && response.body == BuiltinHolder.body(size: 70_000))
            #expect(response.header("Connection") == "close")
            #expect(old.isClosedByPeer(), "an HTTP/1.0 client's connection ends after its answer")
            try Self.waitForClaims(chain.edge, sizes.count + 2)
        }

        /// Eight Python clients at once, twenty keep-alive requests each, every body checked.
        @Test func concurrentClientsShareTheClaimPools() throws {
            let holder = try BuiltinHolder()
            let chain = try Self.chain(3, before: holder)
            let script = """
                import socket, sys, threading
                port, block = int(sys.argv[1]), bytes(range(251))
                sizes = [1, 999, 65537, 300000, 1048577]
                good, bad, lock = [0], [], threading.Lock()
                def client(k):
                    conn = socket.create_connection(("127.0.0.1", port)); stream = conn.makefile("rb")
                    for i in range(20):
                        size = sizes[(k + i) % len(sizes)]
                        conn.sendall(b"GET /bytes/%d HTTP/1.1\\r\\nHost: test\\r\\n\\r\\n" % size)
                        status, fields = stream.readline(), {}
                        while True:
                            line = stream.readline()
                            if line in (b"\\r\\n", b""): break
                            name, _, value = line.partition(b":")
                            fields[name.strip().lower()] = value.strip()
                        body = stream.read(int(fields.get(b"content-length", b"0")))
                        ok = status.startswith(b"HTTP/1.1 200") and body == (block * (size // 251 + 1))[:size]
                        with lock:
                            if ok: good[0] += 1
                            else: bad.append((k, i, size, status, len(body)))
                threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
                for thread in threads: thread.start()
                for thread in threads: thread.join()
                print(good[0], len(bad), bad[:3])
                """
            let result = try CommandRunner.run("/usr/bin/env", ["python3", "-c", script, String(chain.edge.port)])
            #expect(result.stdout.hasPrefix("160 0 "), "exact bodies: \(result.stdout) \(result.stderr)")
            try Self.waitForClaims(chain.edge, 160)
            try Self.expectPassedOnOnly(chain, 160)
        }

        @Test func chunkedAndUntilCloseBodiesTravelVirtually() throws {
            let holder = try ScriptedHolder()
            let chain = try Self.chain(2, before: holder)
            let client = try TestHTTPClient(port: chain.edge.port)
            defer { client.close() }
            let sizes = [1, 1000, 65_537, 1_048_577]
            for size in sizes {
                let response = try Self.fetch(client, "/chunked/\(size)", size: size)
                #expect(response.header("Transfer-Encoding") == "chunked")
            }
            for size in sizes {
                let once = try TestHTTPClient(port: chain.edge.port)
                defer { once.close() }
                let response = try Self.fetch(once, "/close/\(size)", size: size)
                #expect(response.header("Content-Length") == nil && response.header("Connection") == "close",
                        "a body read until close is delimited by close: \(response.headers)")
            }
            try Self.waitForClaims(chain.edge, 2 * sizes.count)
            try Self.expectPassedOnOnly(chain, 2 * sizes.count)
        }

        @Test func headNoContentNotModifiedAndHTTP10Clients() throws {
            let holder = try ScriptedHolder()
            let chain = try Self.chain(2, before: holder)
            let client = try TestHTTPClient(port: chain.edge.port)
            defer { client.close() }
            try client.send("HEAD /bytes/1000 HTTP/1.1\r\nHost: test\r\n\r\n")
            let head = try client.readResponse(headRequest: true)
            #expect(head.status == 200 && head.header("Content-Length") == "1000" && head.header("ODB-Payload") == nil)
            for status in [204, 304] {
                let response = try client.get("/status/\(status)")
                #expect(response.status == status && response.body.isEmpty)
            }
            try Self.fetch(client, "/bytes/2000", size: 2000)
            // 100 Continue goes to the client before the descriptor arrives; the claim follows it.
            try client.send("POST /bytes/3000 HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n")
            let interim = try client.readResponse()
            #expect(interim.status == 100)
            try client.send("0123456789")
            let posted = try client.readResponse()
            #expect(posted.status == 200 && posted.body == BuiltinHolder.body(size: 3000) && posted.header("ODB-Payload") == nil)

            for (target, size) in [("/bytes/70000", 70_000), ("/close/70000", 70_000), ("/bytes/1", 1)] {
                let old = try TestHTTPClient(port: chain.edge.port)
                defer { old.close() }
                try old.send("GET \(target) HTTP/1.0\r\nHost: test\r\n\r\n")
                let response = try old.readResponse()
                #expect(response.status == 200)
                #expect(response.body == BuiltinHolder.body(size: size), "HTTP/1.0 \(target)")
                #expect(response.header("Connection") == "close")
                #expect(old.isClosedByPeer(), "an HTTP/1.0 client's connection ends after its answer")
            }
            try chain.edge.waitForCounter("claims", in: "virtual_payloads") { $0 == 5 }
        }

        @Test func claimConnectionsAreKeptAliveAndTimed() throws {
            let holder = try ScriptedHolder()
            let admin = freePort()
            let chain = try Self.chain(2, before: holder, admin: { $0 == 0 ? .listen("127.0.0.1:\(admin)") : nil })
            let client = try TestHTTPClient(port: chain.edge.port)
            defer { client.close() }
            for size in [10, 20, 30, 40, 50] { try Self.fetch(client, "/bytes/\(size)", size: size) }
            let log = holder.claimLog
            #expect(log.filter { $0.hasPrefix("claim ") }.count == 5)
            // One connection is the fixture's own start-up probe.
            #expect(log.filter { $0 == "connection" }.count == 2, "five claims share one claim connection: \(log)")
            let metrics = try MetricsScrape.waiting(port: admin, for: "five claims are counted, none in flight") {
                $0["odb_virtual_payloads_total{event=\"claims\"}"] == 5 && $0["odb_claims_in_flight"] == 0
            }
            #expect(metrics["odb_claim_latency_seconds_count"] == 5, "\(metrics)")
            #expect(metrics.types["odb_claim_latency_seconds"] == "histogram")
        }

        @Test func failedClaimsAnswer502BeforeAnyByte() throws {
            let holder = try ScriptedHolder()
            let chain = try Self.chain(2, before: holder)
            // An unknown holder name, a claim answer framed unlike its descriptor, a token the
            // holder no longer has (404), and a claim connection closed before its answer.
            let targets = ["/foreign/100", "/misframed/100", "/forgotten/100", "/hangup/100"]
            for target in targets {
                let client = try TestHTTPClient(port: chain.edge.port)
                defer { client.close() }
                let response = try client.get(target)
                #expect(response.status == 502, "\(target): \(response.status)")
            }
            try chain.edge.waitForCounter("claims_failed", in: "virtual_payloads") { $0 == targets.count }
            try chain.edge.waitForCounter("claims_in_flight") { $0 == 0 }
            #expect(holder.claimLog.filter { $0.hasPrefix("claim ") }.count == 3, "the unknown holder was never claimed from")
            let client = try TestHTTPClient(port: chain.edge.port)
            defer { client.close() }
            try Self.fetch(client, "/bytes/5000", size: 5000)
        }

        @Test func aHolderNameNotInPeersIsAnswered502() throws {
            let holder = try BuiltinHolder(name: "stranger")
            let trap = try Trap()
            let chain = try VirtualChain(length: 2, origin: "127.0.0.1:\(holder.port)", peers: [("someone-else", "127.0.0.1:\(trap.port)")])
            for _ in 0..<2 {
                let client = try TestHTTPClient(port: chain.edge.port)
                defer { client.close() }
                let response = try client.get("/bytes/1000")
                #expect(response.status == 502 && response.header("ODB-Payload") == nil)
            }
            try chain.edge.waitForCounter("claims_failed", in: "virtual_payloads") { $0 == 2 }
            try chain.relays[1].waitForCounter("passed", in: "virtual_payloads") { $0 == 2 }
            #expect(!trap.connected, "a claim goes only to the address configured for the holder it names")
        }

        @Test func aReloadMovesClaimsToTheNewPeerAddress() throws {
            let holder = try BuiltinHolder()
            let nobody = freePort()
            func config(_ port: Int, claimPort: Int) -> RelayConfigFile {
                Self.relayConfig(port, peers: [(holder.name, "127.0.0.1:\(claimPort)")], upstreams: [("origin", holder.port)])
            }
            let relay = try RelayProcess { config($0, claimPort: nobody) }
            let refused = try TestHTTPClient(port: relay.port)
            defer { refused.close() }
            #expect(try refused.get("/bytes/1000").status == 502, "nothing listens where the peer was configured")
            try relay.rewriteConfig(config(relay.port, claimPort: holder.claimPort))
            relay.signal(SIGHUP)
            #expect(relay.waitForLog("configuration reloaded"))
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            try Self.fetch(client, "/bytes/1000", size: 1000)
            try relay.waitForCounter("claims", in: "virtual_payloads") { $0 == 2 }
            try relay.waitForCounter("claims_failed", in: "virtual_payloads") { $0 == 1 }
        }

        @Test func aFaultedRouteClaimsAndSendsTheRealBytesOn() throws {
            let holder = try BuiltinHolder()
            let plain = [RouteOptions(.kernel, odb: "intermediate")]
            let faulting = plain + [RouteOptions(.kernel, pathPrefix: "/fault/", odb: "edge")]
            let chain = try Self.chain(3, before: holder, routes: { $0 == 1 ? faulting : plain })
            let client = try TestHTTPClient(port: chain.edge.port)
            defer { client.close() }
            let sizes = [1000, 1_048_577]
            for size in sizes { try Self.fetch(client, "/fault/bytes/\(size)", size: size) }
            try Self.fetch(client, "/bytes/777", size: 777)
            let middle = chain.relays[1]
            try middle.waitForCounter("faults", in: "virtual_payloads") { $0 == sizes.count }
            try middle.waitForCounter("claims", in: "virtual_payloads") { $0 == sizes.count }
            try middle.waitForCounter("passed", in: "virtual_payloads") { $0 == 1 }
            let faulted: Int = sizes.reduce(0, +)
            #expect(try Self.totalBodyBytes(middle, atLeast: faulted) == faulted, "the faulting relay carried the bodies")
            try chain.relays[2].waitForCounter("passed", in: "virtual_payloads") { $0 == sizes.count + 1 }
            #expect(try Self.bodyBytes(chain.relays[2]) == 0)
            // The edge saw real bodies from the faulting relay and claimed only the other one.
            try chain.edge.waitForCounter("claims", in: "virtual_payloads") { $0 == 1 }
            #expect(try Self.totalBodyBytes(chain.edge, atLeast: faulted + 777) == faulted + 777)
        }

        @Test func aDescriptorFromAPlainOriginIsNeverResolved() throws {
            let trap = try Trap()
            let token = String(repeating: "ab", count: 16)
            let origin = try ScriptedOrigin(handler: """
                def answer(conn, head, data):
                    conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 5\\r\\nODB-Payload: v=1; holder=trap; token=\(token); framing=length; length=5\\r\\n\\r\\nplain")
                    return data
                """)
            let relay = try RelayProcess {
                Self.relayConfig($0, peers: [("trap", "127.0.0.1:\(trap.port)")], upstreams: [("origin", origin.port)],
                                 routes: [RouteOptions(.kernel)], trustsUpstreams: false)
            }
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            for _ in 0..<3 {
                let response = try client.get("/x")
                #expect(response.status == 200 && response.body == Array("plain".utf8))
                #expect(response.header("ODB-Payload") == nil)
            }
            try relay.waitForCounter("forged", in: "virtual_payloads") { $0 == 3 }
            #expect(try Self.virtualCounter(relay, "claims") == 0)
            #expect(!trap.connected, "nothing connected to the holder the forged descriptor named")
        }

        @Test func aDescriptorFromAClientIsNeverResolved() throws {
            let trap = try Trap()
            let record = NSTemporaryDirectory() + "odb-forged-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let origin = try ScriptedOrigin(handler: """
                def answer(conn, head, data):
                    conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok")
                    return data
                """, recordingDirectory: record)
            let relay = try RelayProcess {
                Self.relayConfig($0, peers: [("trap", "127.0.0.1:\(trap.port)")], upstreams: [("origin", origin.port)])
            }
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            let forged = "v=1; holder=trap; token=\(String(repeating: "cd", count: 16)); framing=length; length=2"
            let response = try client.get("/x", extra: "ODB-Payload: \(forged)\r\nODB-Peer: not-the-secret-at-all\r\n")
            #expect(response.status == 200 && response.body == Array("ok".utf8))
            try relay.waitForCounter("forged", in: "virtual_payloads") { $0 == 1 }
            var marks: [String: Int] = [:]
            let upstream = String(decoding: origin.recorded(since: &marks).joined(), as: UTF8.self)
            #expect(!upstream.contains("ODB-Payload") && !upstream.contains("not-the-secret"), "\(upstream)")
            #expect(upstream.contains("ODB-Peer: \(VirtualPayloadOptions.testSecret)"), "the relay proves itself a peer upstream")
            #expect(!trap.connected, "nothing connected to the holder the forged descriptor named")
        }

        @Test func aHolderKilledMidClaimAbortsOnlyItsClient() throws {
            let dying = try BuiltinHolder(name: "dying")
            let staying = try BuiltinHolder(name: "staying")
            let relay = try RelayProcess {
                Self.relayConfig($0, peers: [dying.peer, staying.peer], upstreams: [("dying", dying.port), ("staying", staying.port)],
                                 routes: [RouteOptions(.kernel, upstream: "dying", pathPrefix: "/dying/", odb: "intermediate"),
                                          RouteOptions(.kernel, upstream: "staying", odb: "intermediate")])
            }
            let size = 67_108_864
            let expected = BuiltinHolder.body(size: size)
            let other = try TestHTTPClient(port: relay.port)
            defer { other.close() }
            try other.send("GET /staying/bytes/\(size) HTTP/1.1\r\nHost: test\r\n\r\n")
            try relay.waitForCounter("claims", in: "virtual_payloads") { $0 == 1 }

            let victim = try TestHTTPClient(port: relay.port)
            defer { victim.close() }
            try victim.send("GET /dying/bytes/\(size) HTTP/1.1\r\nHost: test\r\n\r\n")
            var killed = false
            let ending = #expect(throws: TestHTTPClient.ClosedEarly.self, "the client sees the connection end before the body does") {
                _ = try victim.readResponse { received in
                    if received >= 1 << 20 && !killed {
                        dying.kill()
                        killed = true
                    }
                    return 0
                }
            }
            #expect(killed, "the holder died mid-claim")
            // Closed or reset inside the body, after its head arrived.
            let reason = ending?.description ?? ""
            #expect(reason.hasPrefix("closed after") || reason.contains("errno \(ECONNRESET)"), "\(reason)")
            try relay.waitForCounter("claims_failed", in: "virtual_payloads") { $0 == 1 }

            let response = try other.readResponse()
            #expect(response.body == expected, "the other connection's body: \(firstDifference(response.body, expected))")
            try Self.fetch(other, "/staying/bytes/1000", size: 1000)
            try relay.waitForCounter("claims_in_flight") { $0 == 0 }
            #expect(try Self.virtualCounter(relay, "claims_failed") == 1)
        }

        /// A holder that died after its descriptor was issued: the claim finds its pooled claim
        /// connection closed and nothing listening, and the client gets a whole 502 before any
        /// body byte, on a connection that goes on serving.
        @Test func aDeadHoldersClaimIsAnswered502() throws {
            let holder = try BuiltinHolder(name: "mortal")
            let token = String(repeating: "ef", count: 16)
            let origin = try ScriptedOrigin(handler: """
                def answer(conn, head, data):
                    conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\nODB-Payload: v=1; holder=mortal; token=\(token); framing=length; length=100\\r\\n\\r\\n")
                    return data
                """)
            let relay = try RelayProcess {
                Self.relayConfig($0, peers: [holder.peer], upstreams: [("holder", holder.port), ("describer", origin.port)],
                                 routes: [RouteOptions(.kernel, upstream: "holder", pathPrefix: "/bytes/", odb: "intermediate"),
                                          RouteOptions(.kernel, upstream: "describer", odb: "intermediate")])
            }
            let live = try TestHTTPClient(port: relay.port)
            defer { live.close() }
            try Self.fetch(live, "/bytes/1000", size: 1000)
            holder.kill()
            for _ in 0..<2 {
                let client = try TestHTTPClient(port: relay.port)
                defer { client.close() }
                let response = try client.get("/described")
                #expect(response.status == 502 && response.header("ODB-Payload") == nil)
                #expect(response.body.count == Int(response.header("Content-Length") ?? "") ?? -1, "a whole error page")
                #expect(client.isClosedByPeer(), "closed after a complete message")
            }
            try relay.waitForCounter("claims_failed", in: "virtual_payloads") { $0 == 2 }
            try relay.waitForCounter("claims_in_flight") { $0 == 0 }
            #expect(try Self.virtualCounter(relay, "claims") == 3)
        }
    }
}

/// What a chain needs of the holder behind it: the port it serves on, and how peers name it.
protocol ChainHolder {
    var port: Int { get }
    var peer: (name: String, address: String) { get }
}

extension BuiltinHolder: ChainHolder {}
extension ScriptedHolder: ChainHolder {}
