import Foundation
import Glibc

/// An origin whose answers are a short Python function, for behaviours nginx will not show on
/// demand (closing mid-body, echoing what arrived).
///
/// `handler` defines `answer(conn, head, data)`: called once per request head (bytes, without
/// the blank line) with the bytes read after it; it replies on `conn` and returns the bytes
/// left over for the next request, or None to stop serving the connection.
public final class ScriptedOrigin {
    public let port: Int
    private let process: Process

    static let server = """
        import os, socket, threading
        def serve(conn):
            data = b""
            while data is not None:
                while b"\\r\\n\\r\\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk: conn.close(); return
                    data += chunk
                head, _, data = data.partition(b"\\r\\n\\r\\n")
                data = answer(conn, head, data)
        listener = socket.socket(); listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", int(os.environ["PORT"]))); listener.listen(64)
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()
        """

    public convenience init(handler: String) throws {
        try self.init(script: "import socket\n" + handler + "\n" + Self.server)
    }

    /// A whole server script that listens on 127.0.0.1 at the port in the PORT variable.
    public init(script: String) throws {
        port = freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        process.environment = ProcessInfo.processInfo.environment.merging(["PORT": String(port)]) { _, new in new }
        try process.run()
        guard waitForPort(port) else {
            process.terminate()
            throw TestHTTPClient.ClosedEarly(description: "scripted origin did not start")
        }
    }

    deinit {
        // SIGKILL: the script inherits the test runner's signal mask, which blocks SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
