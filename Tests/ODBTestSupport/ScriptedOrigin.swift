import Foundation
import Glibc

/// An origin whose answers are a short Python function, for behaviours nginx will not show on
/// demand (closing mid-body, echoing what arrived).
///
/// `handler` defines `answer(conn, head, data)`: called once per request head (bytes, without
/// the blank line) with the bytes read after it; it replies on `conn` and returns the bytes
/// left over for the next request, or None to stop serving the connection.
///
/// With a `recordingDirectory`, every byte each connection delivered is appended to a file
/// there, one per connection, so a test sees exactly what reached the origin.
public final class ScriptedOrigin {
    public let port: Int
    public let recordingDirectory: String?
    private let process: Process

    static let server = """
        import itertools, os, socket, threading
        class Recorded:
            def __init__(self, conn, path):
                self.conn, self.file = conn, open(path, "ab", buffering=0)
            def recv(self, size):
                chunk = self.conn.recv(size)
                self.file.write(chunk)
                return chunk
            def __getattr__(self, name):
                return getattr(self.conn, name)
        connections = itertools.count()
        def serve(conn):
            if os.environ.get("RECORD"):
                conn = Recorded(conn, os.path.join(os.environ["RECORD"], "conn-%06d" % next(connections)))
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

    public convenience init(handler: String, recordingDirectory: String? = nil) throws {
        try self.init(script: "import socket\n" + handler + "\n" + Self.server, recordingDirectory: recordingDirectory)
    }

    /// A whole server script that listens on 127.0.0.1 at the port in the PORT variable (and
    /// records into RECORD when the script does).
    public init(script: String, recordingDirectory: String? = nil) throws {
        port = freePort()
        self.recordingDirectory = recordingDirectory
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        var environment = ["PORT": String(port)]
        if let recordingDirectory {
            try FileManager.default.createDirectory(atPath: recordingDirectory, withIntermediateDirectories: true)
            environment["RECORD"] = recordingDirectory
        }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        try process.run()
        guard waitForPort(port) else {
            process.terminate()
            throw FixtureFailure("scripted origin did not start")
        }
    }

    /// The bytes each connection delivered since `marks` (bytes seen per connection file), one
    /// entry per connection that delivered any, oldest connection first; moves the marks.
    public func recorded(since marks: inout [String: Int]) -> [[UInt8]] {
        guard let recordingDirectory,
              let names = try? FileManager.default.contentsOfDirectory(atPath: recordingDirectory) else { return [] }
        var fresh: [[UInt8]] = []
        for name in names.sorted() {
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: recordingDirectory + "/" + name)),
                  data.count > marks[name] ?? 0 else { continue }
            fresh.append(Array(data.dropFirst(marks[name] ?? 0)))
            marks[name] = data.count
        }
        return fresh
    }

    deinit {
        // SIGKILL: the script inherits the test runner's signal mask, which blocks SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        if let recordingDirectory { try? FileManager.default.removeItem(atPath: recordingDirectory) }
    }
}
