import Foundation
import Glibc

/// The benchmark's built-in origin: `GET /bytes/N` answers 200 with N pattern bytes.
///
/// Each worker thread accepts on its own SO_REUSEPORT listener, so the kernel spreads
/// connections over workers; each connection then gets a blocking thread of its own. Bodies are
/// sent straight from `PatternBytes`' preallocated buffer, so the origin costs one `send` per
/// MiB and never allocates per request.
public final class OriginServer: Sendable {
    public let address: HostPort
    private let listeners: [TCPSocket]

    /// Binds `workers` listeners on `address` (port 0 picks a free port, shared by all).
    public init(address: HostPort, workers: Int) throws(BenchError) {
        let first = try TCPSocket.listen(host: address.host, port: address.port)
        let bound = HostPort(host: address.host, port: first.localPort)
        var listeners = [first]
        for _ in 1..<max(workers, 1) {
            listeners.append(try TCPSocket.listen(host: bound.host, port: bound.port))
        }
        self.address = bound
        self.listeners = listeners
    }

    /// Serves until the process ends; blocks the calling thread.
    public func run() -> Never {
        // A spawned process inherits its parent's blocked-signal mask, and Foundation's Process
        // spawns from threads that block most signals: without this, SIGTERM would never end
        // the origin. Done before the threads start, so they inherit the unblocked mask.
        var termination = sigset_t()
        sigemptyset(&termination)
        sigaddset(&termination, SIGTERM)
        sigaddset(&termination, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &termination, nil)
        for listener in listeners.dropFirst() {
            Thread.detachNewThread { Self.acceptLoop(listener) }
        }
        Self.acceptLoop(listeners[0])
    }

    private static func acceptLoop(_ listener: TCPSocket) -> Never {
        while true {
            // A failed accept (EMFILE, ENOBUFS) must not end the origin; the client retries.
            guard let connection = try? listener.accept() else { continue }
            Thread.detachNewThread {
                OriginConnection(socket: connection).serve()
                connection.close()
            }
        }
    }
}
