import Foundation
import Glibc
import ODBTestSupport
import Testing

extension RelayTests {
    /// A head that arrives one byte per segment costs the relay about what a body arriving the
    /// same way costs: the parser resumes where it stopped instead of starting over on every
    /// read (which made a 30 KB head cost 1.87 s of CPU).
    @Suite struct HeadTrickle {
        /// Sends `size` bytes one byte per send (TCP_NODELAY, one segment each), pausing after
        /// each so that most of the relay's reads find a single new byte: as padding fields of
        /// the head, or as the body of a POST with a small head. Prints the status line.
        static let trickle = """
            import socket, sys, time
            port, size, part = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
            if part == "head":
                fields = "".join("X-Pad-%d: %s\\r\\n" % (i, "a" * 600) for i in range(size // 615))
                head = ("GET /echo HTTP/1.1\\r\\nHost: test\\r\\n" + fields + "Connection: close\\r\\n\\r\\n").encode()
                first, trickled = b"", head
            else:
                first = ("POST /echo HTTP/1.1\\r\\nHost: test\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n" % size).encode()
                trickled = b"b" * size
            s = socket.create_connection(("127.0.0.1", port))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.sendall(first)
            for i in range(len(trickled)):
                s.send(trickled[i:i + 1])
                time.sleep(0.00005)  # the trickle under test
            reply = b""
            while True:
                data = s.recv(65536)
                if not data: break
                reply += data
            print(reply.split(b"\\r\\n")[0].decode())
            """

        private static func relayTicks(_ relay: RelayProcess, bytes: Int, part: String) throws -> Int {
            let before = cpuTicks(pid: relay.pid)
            let result = try CommandRunner.run("/usr/bin/python3", ["-c", trickle, "\(relay.port)", "\(bytes)", part])
            #expect(result.stdout.hasPrefix("HTTP/1.1 200"), "\(part): \(result.stdout) \(result.stderr)")
            return cpuTicks(pid: relay.pid) - before
        }

        @Test func aHeadTricklingInCostsAboutWhatABodyDoes() throws {
            let origin = try ScriptedOrigin(handler: HTTPSemantics.echoOrigin)
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.copy), workers: 1)
            let body = try Self.relayTicks(relay, bytes: 40_000, part: "body")
            let head = try Self.relayTicks(relay, bytes: 40_000, part: "head")
            #expect(head <= 2 * body + 10, "40 KB trickled: head \(head) ticks, body \(body) ticks")
        }
    }
}
