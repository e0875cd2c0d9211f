/// A named pool of servers that routes forward to; one entry of `upstreams`.
///
/// Health is passive: a server whose connection fails is skipped for `failTimeout`, after
/// which it is tried again, so no probe traffic is needed.
public struct UpstreamConfig: Sendable, Equatable {
    /// The key the pool is defined under, which routes refer to.
    public var name: String
    /// Servers in file order; never empty once loaded.
    public var servers: [Endpoint]
    /// Most idle keep-alive connections kept per server for reuse.
    public var maxIdlePerServer: Int
    /// How long a failed server is skipped.
    public var failTimeout: Duration
    /// The servers are ODB peers (relays or an ODB-aware origin): requests to them prove this
    /// relay a peer, and descriptors in their responses are honoured.
    public var odbPeer: Bool

    public init(name: String, servers: [Endpoint], maxIdlePerServer: Int = 32, failTimeout: Duration = .seconds(10),
                odbPeer: Bool = false) {
        self.name = name
        self.servers = servers
        self.maxIdlePerServer = maxIdlePerServer
        self.failTimeout = failTimeout
        self.odbPeer = odbPeer
    }

    static let keys = ["servers", "max_idle_per_server", "fail_timeout", "odb_peer"]

    init(name: String, nameNode: ConfigNode, section: ConfigMapping) throws(ConfigError) {
        guard let serversNode = section["servers"] else {
            throw nameNode.error("upstream \"\(name)\" has no servers")
        }
        let items = try serversNode.list()
        guard !items.isEmpty else { throw serversNode.error("upstream \"\(name)\" has no servers") }
        var servers: [Endpoint] = []
        for item in items {
            let server = try item.endpoint()
            guard !server.isWildcard else {
                throw item.error("servers: server address \"\(server)\" needs a host to connect to")
            }
            guard !servers.contains(server) else {
                throw item.error("servers: server \(server) is listed twice in upstream \"\(name)\"")
            }
            servers.append(server)
        }
        let defaults = UpstreamConfig(name: name, servers: servers)
        self.init(
            name: name,
            servers: servers,
            maxIdlePerServer: try section.value("max_idle_per_server", default: defaults.maxIdlePerServer) {
                node throws(ConfigError) in try node.int(in: 0...10_000)
            },
            failTimeout: try section.value("fail_timeout", default: defaults.failTimeout) { node throws(ConfigError) in
                try node.duration()
            },
            odbPeer: try section.value("odb_peer", default: defaults.odbPeer) { node throws(ConfigError) in try node.bool() }
        )
    }
}
