import ODBConfig

/// The ODB roles of the relays of a `virtual` or `virtual-faults` chain (docs/DESIGN.md,
/// "Virtual payload (On-Demand Buffering)").
///
/// Relay 1 faces the plain load generator, so its `intermediate` route claims: it is the edge.
/// The relays behind it pass descriptors on, head only.
/// - Behind the ODB-aware built-in origin, the origin holds every body: each relay's route is
///   `intermediate` and its one peer is `origin`.
/// - Behind a plain origin (nginx, or one given as HOST:PORT) the last relay is the holder
///   (`relay-N`, route `holder`), and the others' one peer is it. A chain of 1 faces a plain
///   client there, so nothing is held: the relay serves the body as the auto mode does.
///
/// In `virtual-faults` the middle relay (index length/2, 0-based) also has a `/fault/` route
/// with `edge`: it claims and carries the body on, a fault. When that relay is the holder
/// (a plain origin and a chain of 1 or 2) its `/fault/` route has no ODB role: it reads the body
/// it would otherwise hold and serves it for real.
struct VirtualPayloadChain {
    /// Everything ODB in one relay's configuration.
    struct Hop {
        /// `odb.name` and `odb.claim_listen`: set for the holder relay only.
        var holderName: String?
        var claimListen: HostPort?
        /// `odb.peers`: holder name → claim address as this relay reaches it.
        var peers: [(name: String, claim: HostPort)]
        var secret: String
        /// The `/` route's role.
        var route: VirtualPayloadRole
        /// The `/fault/` route's role when this relay has that route.
        var faultRoute: VirtualPayloadRole?
        /// `odb_peer: true` on the upstream: it answers descriptors this relay honours.
        var upstreamIsPeer: Bool
    }

    /// Where the relays claim, shared by every configuration of a run.
    struct Peering: Sendable {
        /// `odb.secret` of every relay and `--odb-secret-file`'s content for an ODB-aware origin.
        var secret: String
        /// The ODB-aware built-in origin's claim port; nil behind a plain origin.
        var originClaimPort: Int?

        /// The holder name the ODB-aware origin runs with.
        static let originName = "origin"

        /// 32 hex digits from the system's random source, fresh for every run.
        static func newSecret() -> String {
            var generator = SystemRandomNumberGenerator()
            return (0..<16).map { _ in String(UInt8.random(in: 0...255, using: &generator), radix: 16).leftPadded(to: 2) }.joined()
        }
    }

    let length: Int
    let faults: Bool
    let peering: Peering
    /// The holder relay's claim port, behind a plain origin.
    let holderClaimPort: Int

    /// The relay at `index` (0-based from the client) whose claim addresses `settings` resolves.
    func hop(_ index: Int, settings: ChainSettings) -> Hop {
        let tier = Tier.intermediate(index + 1)
        let holderIndex = length - 1
        let isHolder = peering.originClaimPort == nil && index == holderIndex
        var hop = Hop(holderName: nil, claimListen: nil, peers: [], secret: peering.secret,
                      route: isHolder ? .holder : .intermediate, faultRoute: nil, upstreamIsPeer: !isHolder)
        if let originPort = peering.originClaimPort {
            hop.peers = [(Peering.originName, HostPort(host: settings.address(of: .origin, from: tier), port: originPort))]
        } else if isHolder {
            hop.holderName = Self.holderName(length)
            hop.claimListen = HostPort(host: settings.listenHost, port: holderClaimPort)
        } else {
            let holder = Tier.intermediate(holderIndex + 1)
            hop.peers = [(Self.holderName(length), HostPort(host: settings.address(of: holder, from: tier), port: holderClaimPort))]
        }
        if faults && index == length / 2 {
            hop.faultRoute = isHolder ? .off : .edge
        }
        return hop
    }

    /// The holder relay's name in descriptors: the last relay of the chain.
    static func holderName(_ length: Int) -> String { "relay-\(length)" }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
