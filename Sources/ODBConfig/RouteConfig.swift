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
    /// In `auto` mode, bodies from this length on are spliced, outside the kernel band: there
    /// splice measured ahead of both copying and the kernel path (docs/PERFORMANCE.md §4).
    public var autoSpliceMinBody: Int
    /// In `auto` mode, bodies whose receiver is on this host (a loopback address, or the
    /// connection's own) are spliced from this length on, outside the kernel band, and from
    /// `autoSpliceMinBody` on at the earliest: a local receiver handed spliced skbs keeps a
    /// small receive window, and copying kept ahead of splicing up to several MiB
    /// (docs/PERFORMANCE.md §4).
    public var autoLocalSpliceMinBody: Int
    /// In `auto` mode, the kernel band starts here (and at `kernelMinBody` at the earliest).
    public var autoMinBody: Int
    /// In `auto` mode, the kernel band ends here: `auto` redirects in the kernel the bodies from
    /// the larger of `kernelMinBody` and `autoMinBody` up to this length.
    public var kernelMaxBody: Int
    /// Most bytes one flow may have in flight inside the kernel, bounding socket memory per flow.
    public var flowBudget: Int
    /// Whether CONNECT tunnels may be opened through this route.
    public var allowConnect: Bool
    /// Whether a connection that opens with the HTTP/2 prior-knowledge preface may become an
    /// opaque byte stream to this route (the listener's catch-all) over a fresh upstream
    /// connection. Off: such a connection is answered 400 and closed.
    public var allowHTTP2PriorKnowledge: Bool
    /// What this route does with virtual payloads.
    public var odb: VirtualPayloadRole

    public init(
        host: HostPattern? = nil,
        pathPrefix: String = "/",
        upstream: String,
        mode: RelayMode = .auto,
        kernelMinBody: Int = 64 << 10,
        autoSpliceMinBody: Int = RouteConfig.defaultAutoSpliceMinBody,
        autoLocalSpliceMinBody: Int = RouteConfig.defaultAutoLocalSpliceMinBody,
        autoMinBody: Int = RouteConfig.defaultAutoMinBody,
        kernelMaxBody: Int = RouteConfig.defaultKernelMaxBody,
        flowBudget: Int = 16 << 20,
        allowConnect: Bool = false,
        allowHTTP2PriorKnowledge: Bool = false,
        odb: VirtualPayloadRole = .off
    ) {
        self.host = host
        self.pathPrefix = pathPrefix
        self.upstream = upstream
        self.mode = mode
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

    /// Default `auto_splice_min_body`. At 8 connections through one relay splicing cost less
    /// machine CPU per request than copying and than the kernel path from 128 KiB to 1 MiB, on
    /// loopback and across separate hosts; at 64 KiB copying did and at 96 KiB the two were
    /// level (docs/PERFORMANCE.md §4).
    public static let defaultAutoSpliceMinBody = 128 << 10

    /// Default `auto_local_splice_min_body`. With client and relay on one host, splicing made
    /// fewer req/s than copying from 256 KiB to 2 MiB, was level with it at 4 MiB, and kept up
    /// from 8 MiB on (docs/PERFORMANCE.md §4). A peer relay reading a claim is not held to it.
    public static let defaultAutoLocalSpliceMinBody = 8 << 20

    /// Default `auto_min_body`: past `kernel_max_body`, so `auto` puts no body in the kernel
    /// unless a route asks for a band. Splice cost less machine CPU than the kernel path at every
    /// size measured (64 KiB to 16 MiB), and with its memory earned by the reader
    /// (`SpliceMemory`) a slow reader's relay held less with it than with the kernel path at
    /// 4, 8 and 16 MiB (docs/PERFORMANCE.md §4).
    public static let defaultAutoMinBody = 1 << 40

    /// Default `kernel_max_body`, for a route that opens a kernel band: the largest size the
    /// kernel path was measured at against copying, where the two were level.
    public static let defaultKernelMaxBody = 64 << 20

    static let keys = ["host", "path_prefix", "upstream", "mode", "kernel_min_body", "auto_splice_min_body", "auto_local_splice_min_body",
                       "auto_min_body", "kernel_max_body", "flow_budget",
                       "allow_connect", "allow_http2_prior_knowledge", "odb"]

    init(from section: ConfigMapping, upstreams: [String: UpstreamConfig], odb: VirtualPayloadConfig?) throws(ConfigError) {
        let upstreamNode = try section.required("upstream")
        let upstream = try upstreamNode.nonEmptyString()
        guard let pool = upstreams[upstream] else {
            let defined = upstreams.keys.sorted().joined(separator: ", ")
            throw upstreamNode.error("upstream: undefined upstream \"\(upstream)\" (defined: \(defined))")
        }
        let role = try section.value("odb", default: VirtualPayloadRole.off) { node throws(ConfigError) in
            let role = try node.choice(of: VirtualPayloadRole.self)
            try Self.check(role, pool: pool, odb: odb, at: node)
            return role
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
            autoSpliceMinBody: try section.value("auto_splice_min_body", default: defaults.autoSpliceMinBody) {
                node throws(ConfigError) in try node.byteSize(in: 0...(1 << 40))
            },
            autoLocalSpliceMinBody: try section.value("auto_local_splice_min_body", default: defaults.autoLocalSpliceMinBody) {
                node throws(ConfigError) in try node.byteSize(in: 0...(1 << 40))
            },
            autoMinBody: try section.value("auto_min_body", default: defaults.autoMinBody) { node throws(ConfigError) in
                try node.byteSize(in: 0...(1 << 40))
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
            },
            odb: role
        )
    }

    /// A role needs the `odb` settings it uses, and an upstream of the matching kind: a holder
    /// holds what a plain origin sends, the other roles talk to a peer.
    private static func check(_ role: VirtualPayloadRole, pool: UpstreamConfig, odb: VirtualPayloadConfig?,
                              at node: ConfigNode) throws(ConfigError) {
        guard role != .off else { return }
        guard let odb else { throw node.error("odb: role \"\(role.rawValue)\" needs the top-level \"odb\" section (its secret)") }
        switch role {
        case .off:
            return
        case .holder:
            guard odb.name != nil, odb.claimListen != nil else {
                throw node.error("odb: role \"holder\" needs odb.name and odb.claim_listen, where peers claim what it holds")
            }
            guard !pool.odbPeer else {
                throw node.error("odb: upstream \"\(pool.name)\" is a peer (odb_peer: true); a holder holds a plain origin's bodies, use \"intermediate\"")
            }
        case .intermediate, .edge:
            guard pool.odbPeer else {
                throw node.error("odb: role \"\(role.rawValue)\" sends to a peer, but upstream \"\(pool.name)\" is not one (set odb_peer: true)")
            }
            guard !odb.peers.isEmpty else {
                throw node.error("odb: role \"\(role.rawValue)\" claims payloads, but odb.peers names no holder to claim from")
            }
        }
    }
}
