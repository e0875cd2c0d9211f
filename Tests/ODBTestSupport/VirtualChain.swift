/// Relays configured as ODB peers in a line: the client talks to `relays[0]`, whose upstream
/// is `relays[1]`, and so on; the last relay's upstream is `origin`, an ODB peer (a holder).
/// Every relay shares the test secret and claims from the holders in `peers`.
public final class VirtualChain {
    public let relays: [RelayProcess]

    /// - Parameter routes: the routes of relay `index` (0 faces the client); by default one
    ///   `intermediate` route in `mode`.
    public init(length: Int, origin: String, peers: [(name: String, address: String)], mode: RouteMode = .kernel,
                admin: (_ index: Int) -> AdminOptions? = { _ in nil },
                routes: ((_ index: Int) -> [RouteOptions])? = nil) throws {
        var relays: [RelayProcess] = []
        var upstream = origin
        for index in (0..<length).reversed() {
            let routeList = routes?(index) ?? [RouteOptions(mode, odb: "intermediate")]
            let relay = try RelayProcess { [upstream] port in
                RelayConfigFile(admin: admin(index), odb: VirtualPayloadOptions(peers: peers),
                                listeners: [ListenerOptions(listen: "127.0.0.1:\(port)", routes: routeList)],
                                upstreams: [(name: "origin", servers: [upstream])], peerUpstreams: ["origin"])
            }
            relays.insert(relay, at: 0)
            upstream = "127.0.0.1:\(relay.port)"
        }
        self.relays = relays
    }

    /// The relay that faces the client.
    public var edge: RelayProcess { relays[0] }

    /// The relays between the edge and the holder, which pass descriptors on.
    public var intermediates: ArraySlice<RelayProcess> { relays.dropFirst() }
}
