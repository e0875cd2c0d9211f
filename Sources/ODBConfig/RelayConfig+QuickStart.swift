extension RelayConfig {
    /// Name of the single pool `quickStart` builds from the `--upstream` flags.
    public static let quickStartUpstream = "default"

    /// Builds a configuration from command-line flags alone, without a file.
    ///
    /// Each `--listen` address becomes a listener with one route for `/` to a pool holding
    /// every `--upstream` server; all other settings take their defaults. Errors name the
    /// flag in place of a file, e.g. `--upstream: port must be between 1 and 65535, ...`.
    ///
    /// - Parameters:
    ///   - listen: Listening addresses (`host:port`, `[v6]:port` or `:port`); at least one.
    ///   - upstreams: Server addresses with a host; at least one.
    ///   - mode: Relay mode of the route.
    ///   - workers: Worker count, or nil for the number of online CPUs.
    public static func quickStart(
        listen: [String],
        upstreams: [String],
        mode: RelayMode = .auto,
        workers: Int? = nil
    ) throws(ConfigError) -> RelayConfig {
        let servers = try endpoints(upstreams, flag: "--upstream")
        for (index, server) in servers.enumerated() {
            guard !server.isWildcard else {
                throw ConfigError(file: "--upstream", reason: "server address \"\(server)\" needs a host to connect to")
            }
            guard !servers[..<index].contains(server) else {
                throw ConfigError(file: "--upstream", reason: "server \(server) is given twice")
            }
        }
        var listeners: [ListenerConfig] = []
        for address in try endpoints(listen, flag: "--listen") {
            if let clash = listeners.first(where: { conflict($0.listen, address) }) {
                throw ConfigError(file: "--listen", reason: "address \(address) conflicts with \(clash.listen)")
            }
            let route = RouteConfig(upstream: quickStartUpstream, mode: mode)
            listeners.append(ListenerConfig(listen: address, routes: [route]))
        }
        return RelayConfig(
            workers: try workers.map { count throws(ConfigError) in try validatedWorkers(count) } ?? onlineCPUs,
            pinDirectory: defaultPinDirectory,
            user: nil,
            group: nil,
            timeouts: Timeouts(),
            limits: Limits(),
            admin: nil,
            log: LogConfig(),
            odb: nil,
            listeners: listeners,
            upstreams: [quickStartUpstream: UpstreamConfig(name: quickStartUpstream, servers: servers)]
        )
    }

    private static func endpoints(_ texts: [String], flag: String) throws(ConfigError) -> [Endpoint] {
        guard !texts.isEmpty else { throw ConfigError(file: flag, reason: "at least one \(flag) address is required") }
        var endpoints: [Endpoint] = []
        for text in texts {
            do {
                endpoints.append(try Endpoint.parse(text))
            } catch {
                throw ConfigError(file: flag, reason: error.reason)
            }
        }
        return endpoints
    }
}
