import Glibc
import ODBConfig

/// A worker's listening socket; SO_REUSEPORT lets every worker bind the same address.
final class ListenerSocket: EventHandler {
    /// What the connections it accepts carry.
    enum Service {
        /// Requests relayed by the listener's routes.
        case relay
        /// Claims of the payloads this relay holds (`odb.claim_listen`).
        case claims
    }

    let fd: Int32
    let service: Service
    /// Routes for every request from now on, on every connection this socket accepted; a
    /// reload replaces them.
    var config: ListenerConfig
    unowned let worker: Worker

    init(address: SocketAddress, config: ListenerConfig, worker: Worker, service: Service = .relay) throws(SystemError) {
        fd = try Socket.listen(on: address)
        self.service = service
        self.config = config
        self.worker = worker
        worker.loop.register(fd, events: EventLoop.readable, handler: self)
    }

    /// Addresses for a configured endpoint; an empty host means every IPv4 and IPv6 address.
    static func addresses(for endpoint: ODBConfig.Endpoint) throws(SystemError) -> [SocketAddress] {
        if endpoint.host.isEmpty {
            return try SocketAddress.resolve(host: "0.0.0.0", port: Int(endpoint.port), passive: true)
                + SocketAddress.resolve(host: "::", port: Int(endpoint.port), passive: true)
        }
        let all = try SocketAddress.resolve(host: endpoint.host, port: Int(endpoint.port), passive: true)
        return Array(Set(all)).sorted { $0.description < $1.description }
    }

    func handle(events: UInt32) {
        // Bounded so one busy listener cannot starve the connections already accepted.
        for _ in 0..<64 {
            switch Socket.accept(fd) {
            case let .connection(client, peer):
                worker.accepted(fd: client, peer: peer, listener: self)
            case .none:
                return
            case let .failed(code):
                worker.acceptFailed(self, errno: code)
                return
            }
        }
    }

    /// Stops or resumes waking for new connections; a paused listener's clients wait in its
    /// backlog.
    func pause(_ paused: Bool) {
        worker.loop.modify(fd, events: paused ? 0 : EventLoop.readable)
    }

    func close() {
        worker.loop.unregister(fd)
        Glibc.close(fd)
    }
}
