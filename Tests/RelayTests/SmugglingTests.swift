import Foundation
import Glibc
import ODBTestSupport
import Testing

extension RelayTests {
    /// Request smuggling through a running relay: raw bytes in, and the exact bytes the origin
    /// received recorded. Each payload is refused before anything reaches the origin, or
    /// forwarded as exactly one unambiguous message; either way the next client is served.
    @Suite struct Smuggling {
        enum Expected {
            /// The client gets this status and a closed connection; the origin gets nothing, or
            /// for a chunked body that fails, only the head.
            case rejected(Int)
            /// The client gets 200; the origin gets one message: a head whose request line
            /// starts with `line`, with at most one framing field, then exactly `body`.
            case forwarded(line: String, body: String, headContains: [String] = [])
        }

        struct Case: Sendable {
            let name: String
            let bytes: [UInt8]
            let expected: Expected
        }

        /// Answers every request with "ok" after reading its body (Content-Length or chunked).
        static let bodyReadingOrigin = """
            def read_chunked(conn, data):
                body = b""
                while True:
                    while b"\\r\\n" not in data: data += conn.recv(65536)
                    line, _, data = data.partition(b"\\r\\n")
                    size = int(line.split(b";")[0], 16)
                    if size == 0:
                        while not data.startswith(b"\\r\\n"):
                            while b"\\r\\n" not in data: data += conn.recv(65536)
                            if data.startswith(b"\\r\\n"): break
                            data = data.partition(b"\\r\\n")[2]
                        return body, data[2:]
                    while len(data) < size + 2: data += conn.recv(65536)
                    body, data = body + data[:size], data[size + 2:]
            def answer(conn, head, data):
                fields = [line.partition(b":") for line in head.split(b"\\r\\n")[1:]]
                length = sum(int(value) for name, _, value in fields if name.strip().lower() == b"content-length")
                if any(name.strip().lower() == b"transfer-encoding" for name, _, value in fields):
                    _, data = read_chunked(conn, data)
                else:
                    while len(data) < length: data += conn.recv(65536)
                    data = data[length:]
                conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok")
                return data
            """

        static let smuggled = "GET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"
        static let post = "POST /upload HTTP/1.1\r\nHost: test\r\n"

        static func request(_ text: String) -> [UInt8] { Array(text.utf8) }

        static let cases: [Case] = [
            Case(name: "CL.TE", bytes: request(post + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG" + smuggled), expected: .rejected(400)),
            Case(name: "TE.CL", bytes: request(post + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\n" + smuggled + "\r\n0\r\n\r\n"), expected: .rejected(400)),
            Case(name: "TE.TE xchunked", bytes: request(post + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + smuggled), expected: .rejected(400)),
            Case(name: "TE.TE chunked in two fields", bytes: request(post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled), expected: .rejected(400)),
            Case(name: "TE.TE chunked then identity", bytes: request(post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n" + smuggled), expected: .rejected(400)),
            Case(name: "TE.TE space before colon", bytes: request(post + "Transfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n" + smuggled), expected: .rejected(400)),
            Case(name: "TE.TE vertical tab", bytes: request(post + "Transfer-Encoding:\u{0B}chunked\r\n\r\n0\r\n\r\n" + smuggled), expected: .rejected(400)),
            Case(name: "TE.TE quoted", bytes: request(post + "Transfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n" + smuggled), expected: .rejected(400)),
            Case(name: "TE gzip, chunked", bytes: request(post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + smuggled), expected: .rejected(501)),
            Case(name: "TE in HTTP/1.0", bytes: request("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled), expected: .rejected(400)),
            Case(name: "conflicting CL", bytes: request(post + "Content-Length: 0\r\nContent-Length: 44\r\n\r\n" + smuggled), expected: .rejected(400)),
            Case(name: "conflicting CL list", bytes: request(post + "Content-Length: 0, 44\r\n\r\n" + smuggled), expected: .rejected(400)),
            Case(name: "CL with sign", bytes: request(post + "Content-Length: +44\r\n\r\n" + smuggled), expected: .rejected(400)),
            Case(name: "CL overflow", bytes: request(post + "Content-Length: 18446744073709551660\r\n\r\n" + smuggled), expected: .rejected(413)),
            Case(name: "obs-fold", bytes: request(post + "Content-Length:\r\n 44\r\n\r\n" + smuggled), expected: .rejected(400)),
            Case(name: "bare LF", bytes: request("POST /upload HTTP/1.1\nHost: test\nContent-Length: 44\n\n" + smuggled), expected: .rejected(400)),
            Case(name: "bare CR", bytes: request(post + "X: a\rContent-Length: 44\r\n\r\n" + smuggled), expected: .rejected(400)),
            Case(name: "NUL in a value", bytes: request(post + "X: a\u{0}Content-Length: 44\r\n\r\n" + smuggled), expected: .rejected(400)),
            Case(name: "control byte in a value", bytes: request(post + "X: a\u{01}b\r\n\r\n" + smuggled), expected: .rejected(400)),
            Case(name: "NUL in the target", bytes: request("GET /a\u{0}b HTTP/1.1\r\nHost: test\r\n\r\n" + smuggled), expected: .rejected(400)),
            Case(name: "DEL in a name", bytes: request(post + "Content\u{7F}Length: 44\r\n\r\n" + smuggled), expected: .rejected(400)),
            Case(name: "two Hosts", bytes: request("GET / HTTP/1.1\r\nHost: test\r\nHost: evil\r\n\r\n"), expected: .rejected(400)),
            Case(name: "oversized head", bytes: request("GET / HTTP/1.1\r\nHost: test\r\nX-Big: " + String(repeating: "b", count: 5000) + "\r\n\r\n"), expected: .rejected(431)),
            Case(name: "too many fields", bytes: request("GET / HTTP/1.1\r\nHost: test\r\n" + (0..<30).map { "X-\($0): v\r\n" }.joined() + "\r\n"), expected: .rejected(431)),
            Case(name: "invalid method", bytes: request("G@T / HTTP/1.1\r\nHost: test\r\n\r\n"), expected: .rejected(400)),
            Case(name: "method with a space", bytes: request("GET /x /y HTTP/1.1\r\nHost: test\r\n\r\n"), expected: .rejected(400)),
            Case(name: "HTTP/2.0 version", bytes: request("GET / HTTP/2.0\r\nHost: test\r\n\r\n"), expected: .rejected(505)),
            Case(name: "lowercase version", bytes: request("GET / http/1.1\r\nHost: test\r\n\r\n"), expected: .rejected(400)),
            Case(name: "version without minor", bytes: request("GET / HTTP/1\r\nHost: test\r\n\r\n"), expected: .rejected(400)),
            Case(name: "absolute-form with userinfo", bytes: request("GET http://user@test/ HTTP/1.1\r\nHost: test\r\n\r\n"), expected: .rejected(400)),
            Case(name: "absolute-form ftp", bytes: request("GET ftp://test/ HTTP/1.1\r\nHost: test\r\n\r\n"), expected: .rejected(400)),
            Case(name: "chunk-size overflow", bytes: request(post + "Transfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n" + smuggled), expected: .rejected(400)),
            Case(name: "chunk-size with 0x", bytes: request(post + "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n" + smuggled), expected: .rejected(400)),
            Case(name: "chunk-size negative", bytes: request(post + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n" + smuggled), expected: .rejected(400)),
            Case(name: "chunk extension malformed", bytes: request(post + "Transfer-Encoding: chunked\r\n\r\n5;\"x\r\nhello\r\n0\r\n\r\n" + smuggled), expected: .rejected(400)),
            Case(name: "chunk data longer than its size", bytes: request(post + "Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n" + smuggled), expected: .rejected(400)),
            Case(name: "repeated equal CL", bytes: request(post + "Content-Length: 5\r\nContent-Length: 5, 5\r\n\r\nhello"),
                 expected: .forwarded(line: "POST /upload HTTP/1.1", body: "hello", headContains: ["Content-Length: 5\r\n"])),
            Case(name: "absolute-form", bytes: request("POST http://example.com/x?y HTTP/1.1\r\nHost: other\r\nContent-Length: 5\r\n\r\nhello"),
                 expected: .forwarded(line: "POST /x?y HTTP/1.1", body: "hello", headContains: ["Host: example.com\r\n"])),
            Case(name: "Connection naming Content-Length", bytes: request(post + "Connection: Content-Length\r\nContent-Length: 5\r\n\r\nhello"),
                 expected: .forwarded(line: "POST /upload HTTP/1.1", body: "hello", headContains: ["Content-Length: 5\r\n"])),
            Case(name: "chunk extensions and trailers", bytes: request(post + "Transfer-Encoding: chunked\r\n\r\n5;a=b;c=\"d;e\"\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"),
                 expected: .forwarded(line: "POST /upload HTTP/1.1", body: "5;a=b;c=\"d;e\"\r\nhello\r\n0\r\nX-T: 1\r\n\r\n")),
            Case(name: "leading empty lines", bytes: request("\r\n\r\nGET /lead HTTP/1.1\r\nHost: test\r\n\r\n"),
                 expected: .forwarded(line: "GET /lead HTTP/1.1", body: "")),
        ]

        @Test(arguments: [RouteMode.kernel, .copy])
        func everyPayloadIsRefusedOrForwardedAsOneMessage(mode: RouteMode) throws {
            let origin = try ScriptedOrigin(
                handler: Self.bodyReadingOrigin,
                recordingDirectory: NSTemporaryDirectory() + "odb-smuggling-\(getpid())-\(mode)")
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(mode),
                                         limits: [.maxHeadBytes("4KiB"), .maxHeaders(20)])
            var marks: [String: Int] = [:]
            for payload in Self.cases {
                try check(payload, relay: relay, origin: origin, marks: &marks, mode: mode)
                let next = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
                defer { next.close() }
                let response = try next.get("/after")
                #expect(response.status == 200, "\(mode) \(payload.name): the next client is served")
                // Read after the next exchange, by when bytes the relay sent upstream just
                // before closing that connection have arrived; `check` tolerates a later one.
                var connections = origin.recorded(since: &marks).map { String(decoding: $0, as: UTF8.self) }
                let after = connections.firstIndex { $0.hasPrefix("GET /after HTTP/1.1\r\n") }
                #expect(after.map { connections[$0].components(separatedBy: " HTTP/1.1\r\n").count == 2 } == true,
                        "\(mode) \(payload.name): the origin saw one request after it: \(connections)")
                if let after { connections.remove(at: after) }
                if case .rejected = payload.expected {
                    // A chunked body fails only after its head may have gone upstream; nothing
                    // of the body may follow it there.
                    #expect(connections.allSatisfy(isHeadOnlyOfChunked),
                            "\(mode) \(payload.name): the origin saw \(connections)")
                } else {
                    #expect(connections.isEmpty, "\(mode) \(payload.name): the origin saw more: \(connections)")
                }
            }
            #expect(!relay.log.contains("Fatal error"))
        }

        private func check(_ payload: Case, relay: RelayProcess, origin: ScriptedOrigin, marks: inout [String: Int], mode: RouteMode) throws {
            let label = "\(mode) \(payload.name)"
            let client = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            defer { client.close() }
            try client.send(payload.bytes)
            let response = try client.readResponse()
            switch payload.expected {
            case let .rejected(status):
                #expect(response.status == status, "\(label): answered \(response.status)")
                #expect(client.isClosedByPeer(), "\(label): the connection is closed after a rejection")
            case let .forwarded(line, body, headContains):
                #expect(response.status == 200, "\(label): answered \(response.status)")
                #expect(response.body == Array("ok".utf8))
                // A late head from the previous rejected payload may sit on another connection,
                // and it may start with the same request line.
                let connections = origin.recorded(since: &marks)
                let seen = connections.first {
                    $0.starts(with: Array(line.utf8)) && !isHeadOnlyOfChunked(String(decoding: $0, as: UTF8.self))
                } ?? connections.first ?? []
                #expect(connections.filter { $0 != seen }.allSatisfy { isHeadOnlyOfChunked(String(decoding: $0, as: UTF8.self)) })
                let end = seen.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound ?? seen.count
                let head = String(decoding: seen[..<end], as: UTF8.self)
                let rest = String(decoding: seen[end...], as: UTF8.self)
                let fields = head.lowercased().components(separatedBy: "\r\n").dropFirst()
                let lengths = fields.filter { $0.hasPrefix("content-length:") }.count
                let codings = fields.filter { $0.hasPrefix("transfer-encoding:") }.count
                #expect(head.hasPrefix(line + "\r\n"), "\(label): the origin saw \(head.debugDescription)")
                #expect(lengths + codings <= 1, "\(label): one framing field upstream: \(head.debugDescription)")
                #expect(rest == body, "\(label): exactly the one body upstream, got \(rest.debugDescription)")
                for expected in headContains {
                    #expect((head + "\r\n").contains(expected), "\(label): \(expected.debugDescription) in \(head.debugDescription)")
                }
            }
        }

        /// A forwarded head of a chunked request whose body then failed, and nothing after it.
        private func isHeadOnlyOfChunked(_ text: String) -> Bool {
             text.lowercased().contains("transfer-encoding: chunked") && text.hasSuffix("\r\n\r\n")
                && text.components(separatedBy: "\r\n\r\n").count == 2
        }
    }
}
