/// A listening address and the routes that dispatch its requests; one entry of `listeners`.
public struct ListenerConfig: Sendable, Equatable {
    public var listen: Endpoint
    /// Routes in file order; order does not affect matching.
    public var routes: [RouteConfig]
    /// Whether X-Forwarded-For and X-Forwarded-Proto from this listener's clients are kept
    /// (a hop behind another relay) or replaced (an edge, where any client can write them).
    public var trustForwarded: Bool

    public init(listen: Endpoint, routes: [RouteConfig], trustForwarded: Bool = false) {
        self.listen = listen
        self.routes = routes
        self.trustForwarded = trustForwarded
    }

    /// Picks the route serving a request, or nil when none does.
    ///
    /// Candidates are the routes whose host pattern accepts `host` and whose `pathPrefix`
    /// starts `path`. Among them the most specific host wins first (exact name, then the
    /// longest wildcard suffix, then routes without a host), and within that the longest
    /// path prefix. Host comes first because it selects a site, as virtual hosts do; a
    /// host-less route only catches what no site claims. The loader rejects two routes
    /// with the same host and prefix, so the winner is unique.
    ///
    /// - Parameters:
    ///   - host: The Host header (or absolute-form authority); compared case-insensitively
    ///     and without its `:port`. Nil when the request carried none, which only host-less
    ///     routes accept. Read only when a candidate route names a host: most requests meet none.
    ///   - path: The request target's path, compared byte for byte.
    public func route(host: @autoclosure () -> String?, path: String) -> RouteConfig? {
        lazy var name = host().map(HostPattern.normalize)
        var best: (hostRank: Int, prefixLength: Int, index: Int)?
        // By index: binding each route to a name would copy all its fields, per request.
        for index in routes.indices where path.utf8.starts(with: routes[index].pathPrefix.utf8) {
            let hostRank: Int
            switch routes[index].host {
            case nil:
                hostRank = 0
            case let pattern?:
                guard let name, pattern.matches(normalizedHost: name) else { continue }
                if case .wildcard(let suffix) = pattern {
                    hostRank = suffix.utf8.count
                } else {
                    hostRank = Int.max
                }
            }
            let prefixLength = routes[index].pathPrefix.utf8.count
            if let current = best, (current.hostRank, current.prefixLength) >= (hostRank, prefixLength) { continue }
            best = (hostRank, prefixLength, index)
        }
        return best.map { routes[$0.index] }
    }

    static let keys = ["listen", "routes", "trust_forwarded"]

    init(from section: ConfigMapping, upstreams: [String: UpstreamConfig], odb: VirtualPayloadConfig?) throws(ConfigError) {
        let listen = try section.required("listen").endpoint()
        let routesNode = try section.required("routes")
        let items = try routesNode.list()
        guard !items.isEmpty else { throw routesNode.error("routes: listener \(listen) has no routes") }
        var routes: [RouteConfig] = []
        var seen: [String: Int] = [:]
        for item in items {
            let route = try RouteConfig(from: item.named("route").mapping(allowedKeys: RouteConfig.keys), upstreams: upstreams, odb: odb)
            let identity = "host \(route.host.map { "\"\($0)\"" } ?? "(any)") and path_prefix \"\(route.pathPrefix)\""
            if let line = seen[identity] {
                throw item.error("routes: a route for \(identity) is already defined on line \(line)")
            }
            seen[identity] = item.node.mark?.line ?? 0
            routes.append(route)
        }
        let trustForwarded = try section.value("trust_forwarded", default: false) { node throws(ConfigError) in
            try node.bool()
        }
        self.init(listen: listen, routes: routes, trustForwarded: trustForwarded)
    }
}
