import ODBConfig

/// One worker's claim connections: a keep-alive pool per holder name in `odb.peers`, the only
/// places this relay ever claims from. A name no descriptor may add to; only the configuration
/// does.
final class PeerClaimPools {
    private let loop: EventLoop
    private let idleWatcher: IdleUpstream
    private var pools: [String: UpstreamPool] = [:]

    init(loop: EventLoop, idleWatcher: IdleUpstream, peers: [String: Endpoint]) {
        self.loop = loop
        self.idleWatcher = idleWatcher
        update(peers)
    }

    /// Takes over the peers a configuration names, keeping the pool (idle connections, health)
    /// of every holder whose claim address did not change; a replaced pool closes its
    /// connections as they come back.
    func update(_ peers: [String: Endpoint]) {
        var next: [String: UpstreamPool] = [:]
        for (holder, address) in peers {
            if let current = pools[holder], current.config.servers == [address] {
                next[holder] = current
            } else {
                next[holder] = UpstreamPool(config: UpstreamConfig(name: "odb peer \(holder)", servers: [address]), loop: loop,
                                            idleWatcher: idleWatcher)
            }
        }
        for (holder, pool) in pools where next[holder] !== pool { pool.retire() }
        pools = next
    }

    /// The pool of claim connections to `holder`, nil when the configuration names no such peer.
    func pool(holder: String) -> UpstreamPool? {
        pools[holder]
    }

    func closeIdle() {
        for pool in pools.values { pool.closeIdle() }
    }
}
