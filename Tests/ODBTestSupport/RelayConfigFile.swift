/// A relay configuration file as tests write it: typed options, rendered to YAML in one place
/// (`yaml`), so that no test splices indented YAML fragments. Sizes and durations are the
/// configuration's own value syntax ("64KiB", "1s"); an option left nil is not written, and the
/// relay's default applies. Invalid files for configuration-error tests stay raw text.
public struct RelayConfigFile {
    public var workers: Int?
    public var user: String?
    public var log: LogOptions?
    public var admin: AdminOptions?
    public var limits: [LimitOption]
    public var timeouts: [TimeoutOption]
    public var odb: VirtualPayloadOptions?
    public var listeners: [ListenerOptions]
    /// Upstream pools by name, each with its servers (host:port), written in this order.
    public var upstreams: [(name: String, servers: [String])]
    /// Names of `upstreams` whose servers are ODB peers (`odb_peer: true`).
    public var peerUpstreams: Set<String>

    public init(workers: Int? = 2, user: String? = nil, log: LogOptions? = LogOptions(), admin: AdminOptions? = nil,
                limits: [LimitOption] = [], timeouts: [TimeoutOption] = [], odb: VirtualPayloadOptions? = nil,
                listeners: [ListenerOptions], upstreams: [(name: String, servers: [String])], peerUpstreams: Set<String> = []) {
        self.peerUpstreams = peerUpstreams
        self.workers = workers
        self.user = user
        self.log = log
        self.admin = admin
        self.limits = limits
        self.timeouts = timeouts
        self.odb = odb
        self.listeners = listeners
        self.upstreams = upstreams
    }

    /// One listener on 127.0.0.1:`port` with one route to the pool "origin" of `upstreams`.
    public static func singleRoute(port: Int, upstreams: [String], route: RouteOptions, workers: Int = 2,
                                   log: LogOptions = LogOptions(), admin: AdminOptions? = nil,
                                   limits: [LimitOption] = [], timeouts: [TimeoutOption] = []) -> RelayConfigFile {
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
        lines += Self.section("limits", limits.map(\.entry))
        lines += Self.section("timeouts", timeouts.map(\.entry))
        if let odb {
            lines += Self.section("odb", odb.entries)
            if !odb.peers.isEmpty {
                lines += ["  peers:"] + odb.peers.map { "    \($0.name): \(Self.quoted($0.address))" }
            }
        }
        lines.append("listeners:")
        for listener in listeners {
            lines.append("  - listen: \(Self.quoted(listener.listen))")
            if listener.trustForwarded { lines.append("    trust_forwarded: true") }
            lines.append("    routes:")
            for route in listener.routes {
                let keys = Self.present([
                    ("upstream", route.upstream), ("path_prefix", route.pathPrefix), ("mode", route.mode?.rawValue),
                    ("kernel_min_body", route.kernelMinBody), ("auto_splice_min_body", route.autoSpliceMinBody),
                    ("auto_local_splice_min_body", route.autoLocalSpliceMinBody), ("auto_min_body", route.autoMinBody),
                    ("kernel_max_body", route.kernelMaxBody),
                    ("flow_budget", route.flowBudget), ("allow_connect", route.allowConnect ? "true" : nil),
                    ("allow_http2_prior_knowledge", route.allowHTTP2PriorKnowledge ? "true" : nil),
                    ("odb", route.odb),
                ])
                lines += keys.enumerated().map { index, key in (index == 0 ? "      - " : "        ") + key }
            }
        }
        lines.append("upstreams:")
        for upstream in upstreams {
            lines += ["  \(upstream.name):", "    servers: [\(upstream.servers.map(Self.quoted).joined(separator: ", "))]"]
            if peerUpstreams.contains(upstream.name) { lines.append("    odb_peer: true") }
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
    public var autoSpliceMinBody: String?
    public var autoLocalSpliceMinBody: String?
    public var autoMinBody: String?
    public var kernelMaxBody: String?
    public var flowBudget: String?
    public var allowConnect: Bool
    public var allowHTTP2PriorKnowledge: Bool
    /// The route's virtual payload role: off, holder, intermediate or edge.
    public var odb: String?

    public init(_ mode: RouteMode? = nil, upstream: String = "origin", pathPrefix: String? = nil,
                kernelMinBody: String? = nil, autoSpliceMinBody: String? = nil, autoLocalSpliceMinBody: String? = nil,
                autoMinBody: String? = nil, kernelMaxBody: String? = nil, flowBudget: String? = nil,
                allowConnect: Bool = false, allowHTTP2PriorKnowledge: Bool = false, odb: String? = nil) {
        self.mode = mode
        self.upstream = upstream
        self.pathPrefix = pathPrefix
        self.kernelMinBody = kernelMinBody
        self.autoSpliceMinBody = autoSpliceMinBody
        self.autoLocalSpliceMinBody = autoLocalSpliceMinBody
        self.autoMinBody = autoMinBody
        self.kernelMaxBody = kernelMaxBody
        self.flowBudget = flowBudget
        self.allowConnect = allowConnect
        self.allowHTTP2PriorKnowledge = allowHTTP2PriorKnowledge
        self.odb = odb
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

/// One key of the `limits` section.
public enum LimitOption {
    case maxConnections(Int), maxConnectionsPerClient(Int), maxRequestsPerConnection(Int), maxHeaders(Int)
    case maxHeadBytes(String), kernelBufferMemory(String), kernelSendBuffer(String)

    var entry: (String, String?) {
        switch self {
        case .maxConnections(let count): ("max_connections", String(count))
        case .maxConnectionsPerClient(let count): ("max_connections_per_client", String(count))
        case .maxRequestsPerConnection(let count): ("max_requests_per_connection", String(count))
        case .maxHeaders(let count): ("max_headers", String(count))
        case .maxHeadBytes(let size): ("max_head_bytes", size)
        case .kernelBufferMemory(let size): ("kernel_buffer_memory", size)
        case .kernelSendBuffer(let size): ("kernel_send_buffer", size)
        }
    }
}

/// One key of the `timeouts` section: durations ("1s"), and `minBodyRate` in bytes per second.
public enum TimeoutOption {
    case headRead(String), idle(String), shutdownGrace(String), maxConnectionAge(String), maxExchangeTime(String)
    case minBodyRate(String), minBodyRateWindow(String)

    var entry: (String, String?) {
        switch self {
        case .headRead(let duration): ("head_read", duration)
        case .idle(let duration): ("idle", duration)
        case .shutdownGrace(let duration): ("shutdown_grace", duration)
        case .maxConnectionAge(let duration): ("max_connection_age", duration)
        case .maxExchangeTime(let duration): ("max_exchange_time", duration)
        case .minBodyRate(let rate): ("min_body_rate", rate)
        case .minBodyRateWindow(let duration): ("min_body_rate_window", duration)
        }
    }
}
