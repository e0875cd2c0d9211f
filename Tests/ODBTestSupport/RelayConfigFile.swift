/// A relay configuration file as tests write it: typed options, rendered to YAML in one place
/// (`yaml`), so that no test splices indented YAML fragments. Sizes and durations are the
/// configuration's own value syntax ("64KiB", "1s"); an option left nil is not written, and the
/// relay's default applies. Invalid files for configuration-error tests stay raw text.
public struct RelayConfigFile {
    public var workers: Int?
    public var user: String?
    public var log: LogOptions?
    public var admin: AdminOptions?
    public var limits: LimitOptions
    public var timeouts: TimeoutOptions
    public var listeners: [ListenerOptions]
    /// Upstream pools by name, each with its servers (host:port), written in this order.
    public var upstreams: [(name: String, servers: [String])]

    public init(workers: Int? = 2, user: String? = nil, log: LogOptions? = LogOptions(), admin: AdminOptions? = nil,
                limits: LimitOptions = LimitOptions(), timeouts: TimeoutOptions = TimeoutOptions(),
                listeners: [ListenerOptions], upstreams: [(name: String, servers: [String])]) {
        self.workers = workers
        self.user = user
        self.log = log
        self.admin = admin
        self.limits = limits
        self.timeouts = timeouts
        self.listeners = listeners
        self.upstreams = upstreams
    }

    /// One listener on 127.0.0.1:`port` with one route to the pool "origin" of `upstreams`.
    public static func singleRoute(port: Int, upstreams: [String], route: RouteOptions, workers: Int = 2,
                                   log: LogOptions = LogOptions(), admin: AdminOptions? = nil,
                                   limits: LimitOptions = LimitOptions(), timeouts: TimeoutOptions = TimeoutOptions()) -> RelayConfigFile {
        RelayConfigFile(workers: workers, log: log, admin: admin, limits: limits, timeouts: timeouts,
                        listeners: [ListenerOptions(listen: "127.0.0.1:\(port)", routes: [route])],
                        upstreams: [(name: route.upstream, servers: upstreams)])
    }

    public var yaml: String {
        var lines = [String]()
        if let workers { lines.append("workers: \(workers)") }
        if let user { lines.append("user: \(user)") }
        lines += Self.section("log", log.map {
            [("level", $0.level), ("format", $0.format), ("access_log", $0.accessLog.map(String.init))]
        } ?? [])
        switch admin {
        case .listen(let address): lines += ["admin:", "  listen: \(Self.quoted(address))"]
        case .socket(let path): lines += ["admin:", "  socket: \(path)"]
        case nil: break
        }
        lines += Self.section("limits", [
            ("max_connections", limits.maxConnections.map(String.init)),
            ("max_connections_per_client", limits.maxConnectionsPerClient.map(String.init)),
            ("max_requests_per_connection", limits.maxRequestsPerConnection.map(String.init)),
            ("max_head_bytes", limits.maxHeadBytes), ("max_headers", limits.maxHeaders.map(String.init)),
            ("kernel_buffer_memory", limits.kernelBufferMemory),
        ])
        lines += Self.section("timeouts", [
            ("head_read", timeouts.headRead), ("idle", timeouts.idle), ("shutdown_grace", timeouts.shutdownGrace),
            ("max_connection_age", timeouts.maxConnectionAge), ("min_body_rate", timeouts.minBodyRate),
            ("min_body_rate_window", timeouts.minBodyRateWindow),
        ])
        lines.append("listeners:")
        for listener in listeners {
            lines.append("  - listen: \(Self.quoted(listener.listen))")
            if listener.trustForwarded { lines.append("    trust_forwarded: true") }
            lines.append("    routes:")
            for route in listener.routes {
                let keys = Self.present([
                    ("upstream", route.upstream), ("path_prefix", route.pathPrefix), ("mode", route.mode?.rawValue),
                    ("kernel_min_body", route.kernelMinBody), ("kernel_max_body", route.kernelMaxBody),
                    ("flow_budget", route.flowBudget), ("allow_connect", route.allowConnect ? "true" : nil),
                    ("allow_http2_prior_knowledge", route.allowHTTP2PriorKnowledge ? "true" : nil),
                ])
                lines += keys.enumerated().map { index, key in (index == 0 ? "      - " : "        ") + key }
            }
        }
        lines.append("upstreams:")
        for upstream in upstreams {
            lines += ["  \(upstream.name):", "    servers: [\(upstream.servers.map(Self.quoted).joined(separator: ", "))]"]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `name:` and its present keys, indented by two spaces; nothing when no key is present.
    private static func section(_ name: String, _ entries: [(String, String?)]) -> [String] {
        let keys = present(entries)
        return keys.isEmpty ? [] : ["\(name):"] + keys.map { "  " + $0 }
    }

    private static func present(_ entries: [(String, String?)]) -> [String] {
        entries.compactMap { key, value in value.map { "\(key): \($0)" } }
    }

    private static func quoted(_ text: String) -> String {
        "\"\(text)\""
    }
}

/// How a route moves bodies (the route's `mode`).
public enum RouteMode: String, Sendable, CaseIterable {
    case kernel, splice, copy, auto
}

public struct RouteOptions {
    public var mode: RouteMode?
    public var upstream: String
    public var pathPrefix: String?
    public var kernelMinBody: String?
    public var kernelMaxBody: String?
    public var flowBudget: String?
    public var allowConnect: Bool
    public var allowHTTP2PriorKnowledge: Bool

    public init(_ mode: RouteMode? = nil, upstream: String = "origin", pathPrefix: String? = nil,
                kernelMinBody: String? = nil, kernelMaxBody: String? = nil, flowBudget: String? = nil,
                allowConnect: Bool = false, allowHTTP2PriorKnowledge: Bool = false) {
        self.mode = mode
        self.upstream = upstream
        self.pathPrefix = pathPrefix
        self.kernelMinBody = kernelMinBody
        self.kernelMaxBody = kernelMaxBody
        self.flowBudget = flowBudget
        self.allowConnect = allowConnect
        self.allowHTTP2PriorKnowledge = allowHTTP2PriorKnowledge
    }
}

public struct ListenerOptions {
    /// host:port, e.g. "127.0.0.1:8080" or "[::1]:8080".
    public var listen: String
    public var trustForwarded: Bool
    public var routes: [RouteOptions]

    public init(listen: String, trustForwarded: Bool = false, routes: [RouteOptions]) {
        self.listen = listen
        self.trustForwarded = trustForwarded
        self.routes = routes
    }
}

public struct LogOptions {
    public var level: String
    public var format: String?
    /// nil leaves the relay's default (an access line per request).
    public var accessLog: Bool?

    public init(level: String = "notice", format: String? = nil, accessLog: Bool? = false) {
        self.level = level
        self.format = format
        self.accessLog = accessLog
    }
}

/// Where the admin endpoint (GET /metrics) listens.
public enum AdminOptions {
    case listen(String)
    case socket(String)
}

public struct LimitOptions {
    public var maxConnections: Int?
    public var maxConnectionsPerClient: Int?
    public var maxRequestsPerConnection: Int?
    public var maxHeadBytes: String?
    public var maxHeaders: Int?
    public var kernelBufferMemory: String?

    public init(maxConnections: Int? = nil, maxConnectionsPerClient: Int? = nil, maxRequestsPerConnection: Int? = nil,
                maxHeadBytes: String? = nil, maxHeaders: Int? = nil, kernelBufferMemory: String? = nil) {
        self.maxConnections = maxConnections
        self.maxConnectionsPerClient = maxConnectionsPerClient
        self.maxRequestsPerConnection = maxRequestsPerConnection
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaders = maxHeaders
        self.kernelBufferMemory = kernelBufferMemory
    }
}

public struct TimeoutOptions {
    public var headRead: String?
    public var idle: String?
    public var shutdownGrace: String?
    public var maxConnectionAge: String?
    /// Bytes per second, e.g. "100" or "1MiB".
    public var minBodyRate: String?
    public var minBodyRateWindow: String?

    public init(headRead: String? = nil, idle: String? = nil, shutdownGrace: String? = nil, maxConnectionAge: String? = nil,
                minBodyRate: String? = nil, minBodyRateWindow: String? = nil) {
        self.headRead = headRead
        self.idle = idle
        self.shutdownGrace = shutdownGrace
        self.maxConnectionAge = maxConnectionAge
        self.minBodyRate = minBodyRate
        self.minBodyRateWindow = minBodyRateWindow
    }
}
