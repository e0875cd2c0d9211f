import Foundation
import Glibc

/// An ODB-aware origin in Python, for holder behaviours the real holders never show: a claim
/// answer framed unlike its descriptor, a token forgotten before its claim, a descriptor naming
/// a holder nobody configured, and chunked or until-close payloads.
///
/// It serves `/PATTERN/N` (after any path prefix) with `BuiltinHolder.body(size: N)`, as the
/// built-in origin does. A GET or POST carrying `ODB-Peer` with the secret is answered with a
/// descriptor (`Content-Length: 0`, `ODB-Payload`) and the body is claimable once on the claim
/// port; any other request gets the body. PATTERN picks the framing and the misbehaviour:
/// - `bytes`: Content-Length; `chunked`: chunks of at most 1000 bytes; `close`: until close;
/// - `misframed`: the claim answer announces one byte more than the descriptor (and sends it);
/// - `forgotten`: the token is forgotten at once, so its claim is answered 404;
/// - `hangup`: the claim connection is closed without an answer;
/// - `foreign`: the descriptor names the holder `nobody-configured-this`;
/// - `status`: `/status/CODE` answers CODE without a body (204, 304), never held.
/// HEAD is answered with the head alone, never held. A request body (Content-Length) is read
/// and dropped, after `100 Continue` when the request expects it; a POST is held like a GET.
///
/// Every claim connection and claim it receives is one line in `claimLog`.
public final class ScriptedHolder {
    public let port: Int
    public let claimPort: Int
    public let name: String
    private let process: Process
    private let logPath: String

    static let script = """
        import os, secrets, socket, threading
        NAME, SECRET = os.environ["HOLDER_NAME"], os.environ["SECRET"].encode()
        held, lock = {}, threading.Lock()
        log = open(os.environ["CLAIM_LOG"], "ab", buffering=0)
        BLOCK = bytes(range(251))
        def pattern(n):
            return (BLOCK * (n // 251 + 1))[:n]
        def read_head(conn, data):
            while b"\\r\\n\\r\\n" not in data:
                chunk = conn.recv(65536)
                if not chunk: return None, None, None, None
                data += chunk
            head, _, rest = data.partition(b"\\r\\n\\r\\n")
            lines = head.split(b"\\r\\n")
            method, target, _ = lines[0].split(b" ")
            fields = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                fields[name.strip().lower()] = value.strip()
            return method, target.decode(), fields, rest
        def framed(kind, body):
            if kind == "chunked":
                chunks = b"".join(b"%x\\r\\n%s\\r\\n" % (len(body[i:i + 1000]), body[i:i + 1000]) for i in range(0, len(body), 1000))
                return b"Transfer-Encoding: chunked\\r\\n\\r\\n" + chunks + b"0\\r\\n\\r\\n"
            if kind == "close":
                return b"Connection: close\\r\\n\\r\\n" + body
            return b"Content-Length: %d\\r\\n\\r\\n" % len(body) + body
        def framing(kind):
            return {"chunked": "chunked", "close": "close"}.get(kind, "length")
        def serve_origin(conn):
            data = b""
            while True:
                method, target, fields, data = read_head(conn, data)
                if method is None: break
                kind, size = target.split("/")[-2:]
                if fields.get(b"expect", b"").lower() == b"100-continue":
                    conn.sendall(b"HTTP/1.1 100 Continue\\r\\n\\r\\n")
                length = int(fields.get(b"content-length", b"0"))
                while len(data) < length:
                    chunk = conn.recv(65536)
                    if not chunk: conn.close(); return
                    data += chunk
                data = data[length:]
                if kind == "status":
                    conn.sendall(b"HTTP/1.1 " + size.encode() + b" Status\\r\\nX-Origin: scripted-holder\\r\\n\\r\\n")
                    continue
                body = pattern(int(size))
                if method == b"HEAD":
                    conn.sendall(b"HTTP/1.1 200 OK\\r\\nX-Origin: scripted-holder\\r\\nContent-Length: %d\\r\\n\\r\\n" % len(body))
                    continue
                if fields.get(b"odb-peer") == SECRET and method in (b"GET", b"POST"):
                    token = secrets.token_hex(16)
                    if kind != "forgotten":
                        with lock: held[token] = (kind, body)
                    described = "length; length=%d" % len(body) if framing(kind) == "length" else framing(kind)
                    holder = "nobody-configured-this" if kind == "foreign" else NAME
                    descriptor = "v=1; holder=%s; token=%s; framing=%s" % (holder, token, described)
                    conn.sendall(b"HTTP/1.1 200 OK\\r\\nX-Origin: scripted-holder\\r\\nContent-Length: 0\\r\\nODB-Payload: "
                                 + descriptor.encode() + b"\\r\\n\\r\\n")
                else:
                    conn.sendall(b"HTTP/1.1 200 OK\\r\\nX-Origin: scripted-holder\\r\\n" + framed(framing(kind), body))
                    if framing(kind) == "close": break
            conn.close()
        def serve_claims(conn):
            log.write(b"connection\\n")
            data = b""
            while True:
                method, target, fields, data = read_head(conn, data)
                if method is None: break
                log.write(b"claim " + target.encode() + b"\\n")
                if fields.get(b"odb-peer") != SECRET:
                    conn.sendall(b"HTTP/1.1 403 Forbidden\\r\\nContent-Length: 0\\r\\n\\r\\n")
                    continue
                with lock: entry = held.pop(target[len("/odb/v1/payload/"):], None)
                if entry is None:
                    conn.sendall(b"HTTP/1.1 404 Not Found\\r\\nContent-Length: 0\\r\\n\\r\\n")
                    continue
                kind, body = entry
                if kind == "hangup": break
                if kind == "misframed": body += b"x"
                conn.sendall(b"HTTP/1.1 200 OK\\r\\n" + framed(framing(kind), body))
                if framing(kind) == "close": break
            conn.close()
        def accept(listener, serve):
            while True:
                conn, _ = listener.accept()
                threading.Thread(target=serve, args=(conn,), daemon=True).start()
        def listen(port):
            listener = socket.socket(); listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", port)); listener.listen(64)
            return listener
        claims = listen(int(os.environ["CLAIM_PORT"]))
        threading.Thread(target=accept, args=(claims, serve_claims), daemon=True).start()
        accept(listen(int(os.environ["PORT"])), serve_origin)
        """

    public init(name: String = "scripted-holder", secret: String = VirtualPayloadOptions.testSecret) throws {
        self.name = name
        port = freePort()
        claimPort = freePort()
        logPath = NSTemporaryDirectory() + "odb-scripted-holder-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script]
        let environment = ["PORT": String(port), "CLAIM_PORT": String(claimPort), "HOLDER_NAME": name, "SECRET": secret,
                           "CLAIM_LOG": logPath]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        try process.run()
        guard waitForPort(port), waitForPort(claimPort) else {
            Glibc.kill(process.processIdentifier, SIGKILL)
            throw FixtureFailure("scripted holder did not start")
        }
    }

    /// Lines of the claim log: `connection` for each claim connection accepted, `claim TARGET`
    /// for each claim; the connection `waitForPort` made at start is the first line.
    public var claimLog: [String] {
        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// How the relays' `odb.peers` name this holder.
    public var peer: (name: String, address: String) { (name, "127.0.0.1:\(claimPort)") }

    deinit {
        // SIGKILL: the script inherits the test runner's signal mask, which blocks SIGTERM.
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: logPath)
    }
}
