import Foundation
import Glibc
import ODBConfig

/// The admin endpoint: plain sockets on its own event loop and thread, so a scrape never waits
/// behind relayed traffic and never delays it.
final class AdminServer: EventHandler, @unchecked Sendable {
    private let loop: EventLoop
    private let listenerFDs: [Int32]
    /// Renders the metrics text; nil when `admin.metrics` is off.
    let metrics: (() -> [UInt8])?
    private var connections = [ObjectIdentifier: AdminConnection]()
    private let stopLock = NSLock()
    private var stopRequested = false
    private let finished = DispatchSemaphore(value: 0)
    /// Scrapes served at once; more are closed at accept, so a flood of admin connections
    /// cannot take the descriptors relayed traffic needs.
    static let maxConnections = 16
    static let acceptPause = 0.1

    private let socketPath: String?

    /// Binds every address of `config.listen` and the unix socket `config.socket`; the caller
    /// starts the thread with `start()`.
    init(config: AdminConfig, metrics: (() -> [UInt8])?) throws {
        loop = try EventLoop()
        self.metrics = config.metrics ? metrics : nil
        var fds = [Int32]()
        do {
            if let listen = config.listen {
                for address in try ListenerSocket.addresses(for: listen) {
                    fds.append(try Socket.listen(on: address, backlog: 64))
                }
            }
            if let path = config.socket {
                fds.append(try Socket.listen(unixPath: path))
            }
        } catch {
            for fd in fds { Glibc.close(fd) }
            throw error
        }
        listenerFDs = fds
        socketPath = config.socket
        for fd in fds { loop.register(fd, events: EventLoop.readable, handler: self) }
    }

    func start() {
        let thread = Thread { [self] in
            loop.run { !stopLock.withLock { stopRequested } }
            for connection in Array(connections.values) { connection.close() }
            for fd in listenerFDs { Glibc.close(fd) }
            if let socketPath { unlink(socketPath) }
            finished.signal()
        }
        thread.name = "odb-admin"
        thread.start()
    }

    /// Stops serving and waits until the thread has closed every socket.
    func stop() {
        stopLock.withLock { stopRequested = true }
        finished.wait()
    }

    func handle(events: UInt32) {
        for fd in listenerFDs {
            accepting: while true {
                switch Socket.accept(fd) {
                case let .connection(client, _):
                    guard connections.count < Self.maxConnections else {
                        Glibc.close(client)
                        continue
                    }
                    let connection = AdminConnection(fd: client, server: self, loop: loop)
                    connections[ObjectIdentifier(connection)] = connection
                case .none:
                    break accepting
                case .failed:
                    pause(fd)
                    break accepting
                }
            }
        }
    }

    /// Out of descriptors (or another accept error): the listener stays readable, so it is left
    /// alone for a moment instead of waking the loop in a spin.
    private func pause(_ fd: Int32) {
        loop.modify(fd, events: 0)
        _ = loop.schedule(after: Self.acceptPause) { [loop] in loop.modify(fd, events: EventLoop.readable) }
    }

    func closed(_ connection: AdminConnection) {
        connections[ObjectIdentifier(connection)] = nil
    }
}
