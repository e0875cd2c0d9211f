/// Where matching requests go and how their bodies are moved; one entry of a listener's `routes`.
///
/// See `ListenerConfig.route(host:path:)` for how a request picks its route.
public struct RouteConfig: Sendable, Equatable {
    /// Hosts served; nil serves any host.
    public var host: HostPattern?
    /// Request paths served, compared as a case-sensitive byte prefix (`/api/` does not match `/api`).
    public var pathPrefix: String
    /// Name of the upstream pool requests are forwarded to.
    public var upstream: String
    public var mode: RelayMode
    /// Bodies shorter than this are copied in user space, where the setup cost of a kernel
    /// redirect would exceed its savings.
    public var kernelMinBody: Int
    /// In `auto` mode, bodies longer than this are copied rather than redirected in the
    /// kernel. Above a few MiB, with many connections, the target falls behind by more than the
    /// budget, the verdict passes bytes over it, and copying measured cheaper
    /// (docs/PERFORMANCE.md §4-§5).
    public var kernelMaxBody: Int
    /// Most bytes one flow may have in flight inside the kernel, bounding socket memory per flow.
    public var flowBudget: Int
    /// Whether CONNECT tunnels may be opened through this route.
    public var allowConnect: Bool
    /// Whether a connection that opens with the HTTP/2 prior-knowledge preface may become an
    /// opaque byte stream to this route (the listener's catch-all) over a fresh upstream
    /// connection. Off: such a connection is answered 400 and closed.
    public var allowHTTP2PriorKnowledge: Bool

    public init(
        host: HostPattern? = nil,
        pathPrefix: String = "/",
        upstream: String,
        mode: RelayMode = .auto,
        kernelMinBody: Int = 64 << 10,
        kernelMaxBody: Int = RouteConfig.defaultKernelMaxBody,
        flowBudget: Int = 8 << 20,
        allowConnect: Bool = false,
        allowHTTP2PriorKnowledge: Bool = false
    ) {
        self.host = host
        self.pathPrefix = pathPrefix
        self.upstream = upstream
        self.mode = mode
        self.kernelMinBody = kernelMinBody
        self.kernelMaxBody = kernelMaxBody
        self.flowBudget = flowBudget
        self.allowConnect = allowConnect
        self.allowHTTP2PriorKnowledge = allowHTTP2PriorKnowledge
    }

    /// Default `kernel_max_body`, from the bench in docs/PERFORMANCE.md.
    public static let defaultKernelMaxBody = 4 << 20

    static let keys = ["host", "path_prefix", "upstream", "mode", "kernel_min_body", "kernel_max_body", "flow_budget", "allow_connect",
                       "allow_http2_prior_knowledge"]

    init(from section: ConfigMapping, upstreams: Set<String>) throws(ConfigError) {
        let upstreamNode = try section.required("upstream")
        let upstream = try upstreamNode.nonEmptyString()
        guard upstreams.contains(upstream) else {
            let defined = upstreams.sorted().joined(separator: ", ")
            throw upstreamNode.error("upstream: undefined upstream \"\(upstream)\" (defined: \(defined))")
        }
        let defaults = RouteConfig(upstream: upstream)
        self.init(
            host: try section.value("host", default: nil) { node throws(ConfigError) in try node.hostPattern() },
            pathPrefix: try section.value("path_prefix", default: defaults.pathPrefix) { node throws(ConfigError) in
                let prefix = try node.text()
                guard prefix.hasPrefix("/"), !prefix.contains(where: \.isWhitespace) else {
                    throw node.error("path_prefix: must start with \"/\" and contain no spaces, got \"\(prefix)\"")
                }
                return prefix
            },
            upstream: upstream,
            mode: try section.value("mode", default: defaults.mode) { node throws(ConfigError) in
                try node.choice(of: RelayMode.self)
            },
            kernelMinBody: try section.value("kernel_min_body", default: defaults.kernelMinBody) { node throws(ConfigError) in
                try node.byteSize(in: 0...(1 << 30))
            },
            kernelMaxBody: try section.value("kernel_max_body", default: defaults.kernelMaxBody) { node throws(ConfigError) in
                try node.byteSize(in: 0...(1 << 40))
            },
            flowBudget: try section.value("flow_budget", default: defaults.flowBudget) { node throws(ConfigError) in
                try node.byteSize(in: (256 << 10)...(1 << 30))
            },
            allowConnect: try section.value("allow_connect", default: defaults.allowConnect) { node throws(ConfigError) in
                try node.bool()
            },
            allowHTTP2PriorKnowledge: try section.value("allow_http2_prior_knowledge", default: defaults.allowHTTP2PriorKnowledge) {
                node throws(ConfigError) in try node.bool()
            }
        )
    }
}
