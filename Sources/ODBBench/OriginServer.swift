import Foundation
import Glibc

/// The benchmark's built-in origin: a path ending in `/bytes/N` answers 200 with N pattern
/// bytes. Given `OriginHoldSettings` it is also a virtual payload holder: a peer's request gets
/// a descriptor, and the body is claimed on a listener of its own.
///
/// Each worker thread accepts on its own SO_REUSEPORT listener, so the kernel spreads
/// connections over workers; each connection then gets a blocking thread of its own. Bodies are
/// sent straight from `PatternBytes`' preallocated buffer, so the origin costs one `send` per
/// MiB and never allocates per request.
public final class OriginServer: Sendable {
    public let address: HostPort
    /// The claim listener's address, when the origin holds payloads.
    public let claimAddress: HostPort?
    private let listeners: [(TCPSocket, any OriginService)]

    /// Binds `workers` listeners on `address` (port 0 picks a free port, shared by all), and as
    /// many on the claim address when `holding` is given.
    public init(address: HostPort, workers: Int, holding: OriginHoldSettings? = nil) throws(BenchError) {
        let held = holding.map(OriginHeldPayloads.init)
        let bodies = try Self.bind(address, count: workers)
        var listeners = bodies.sockets.map { ($0, OriginBodyService(held: held) as any OriginService) }
        self.address = bodies.address
        if let held {
            let claims = try Self.bind(held.settings.claimListen, count: workers)
            listeners += claims.sockets.map { ($0, OriginClaimService(held: held) as any OriginService) }
            claimAddress = claims.address
        } else {
            claimAddress = nil
        }
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
        for (listener, service) in listeners.dropFirst() {
            Thread.detachNewThread { Self.acceptLoop(listener, service) }
        }
        Self.acceptLoop(listeners[0].0, listeners[0].1)
    }

    /// `count` listeners sharing `address`'s port (a free one when it is 0), and that address.
    private static func bind(_ address: HostPort, count: Int) throws(BenchError) -> (sockets: [TCPSocket], address: HostPort) {
        let first = try TCPSocket.listen(host: address.host, port: address.port)
        let bound = HostPort(host: address.host, port: first.localPort)
        var sockets = [first]
        for _ in 1..<max(count, 1) {
            sockets.append(try TCPSocket.listen(host: bound.host, port: bound.port))
        }
        return (sockets, bound)
    }

    private static func acceptLoop(_ listener: TCPSocket, _ service: any OriginService) -> Never {
        while true {
            // A failed accept (EMFILE, ENOBUFS) must not end the origin; the client retries.
            guard let connection = try? listener.accept() else { continue }
            Thread.detachNewThread {
                OriginConnection(socket: connection, service: service).serve()
                connection.close()
            }
        }
    }
}
