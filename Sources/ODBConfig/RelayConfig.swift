#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The complete, validated configuration of the relay.
///
/// Obtained from a YAML file (`load(path:)`, `parse(yaml:fileName:)`) or from command-line
/// flags (`quickStart(listen:upstreams:mode:workers:)`); both validate everything, so a
/// value of this type is always usable. Unknown keys are errors, so typos cannot be
/// silently ignored, and every error carries file, line and column. `ConfigExample.yaml`
/// is a complete annotated file.
///
/// An outline of the schema, not every key: `ConfigExample.yaml`, which
/// `relay --print-example-config` prints, has them all. All top-level sections except
/// `listeners` and `upstreams` are optional.
///
/// ```yaml
/// workers: 4                # 1...1024; default: online CPUs
/// pin_dir: /sys/fs/bpf/odb-redirect   # absolute path where BPF maps are pinned
/// user: odb                 # user to switch to after setup (root only); default: stay
/// group: odb                # group for `user`; default: the user's primary group
/// timeouts:                 # durations: 250ms, 10s, 2m, 1h or plain seconds; all > 0
///   connect: 5s             # upstream TCP connect
///   head_read: 10s          # whole request head (slowloris guard)
///   idle: 60s               # between requests, or within an exchange while nothing moves
///   shutdown_grace: 30s     # draining on shutdown
/// limits:                   # sizes: plain bytes or KiB/MiB/GiB (1024-based); KB/MB are rejected
///   max_head_bytes: 64KiB   # 1KiB...1MiB
///   max_headers: 100        # 1...10000
///   max_connections: 10000  # 1...10000000
/// admin:                    # default: no admin endpoint
///   listen: 127.0.0.1:9901  # and/or socket: PATH (a unix socket); one of the two required
///   metrics: true           # GET /metrics (Prometheus text); default true
/// log:
///   level: info             # trace debug info notice warning error critical
///   format: text            # text | json
///   access_log: true        # default true
/// odb:                      # virtual payload (docs/DESIGN.md); needed by any route's odb role
///   name: relay-3           # this relay's holder name; required by holder routes
///   secret: "..."           # or secret_file: PATH (first line); 16+ visible characters, shared by peers
///   claim_listen: 10.0.0.3:7000   # where peers claim held payloads; required by holder routes
///   hold_timeout: 10s       # an unclaimed payload is released after this
///   max_held_payloads: 1000 # 1...1000000; past it, bodies are served for real
///   max_held_bytes: 256MiB  # 64KiB...1TiB; socket memory held payloads may occupy
///   peers:                  # holder name -> claim address; the only places claims go
///     relay-3: 10.0.0.3:7000
/// listeners:                # at least one; listen addresses must be distinct
///   - listen: 0.0.0.0:8080  # host:port, [v6]:port, or :port (all addresses)
///     routes:               # at least one
///       - host: example.com       # exact name or "*.example.com" (quote the *); default any host
///         path_prefix: /api/      # must start with "/"; default "/"
///         upstream: api           # required; a key of `upstreams`
///         mode: kernel            # kernel | splice | copy | auto; default auto
///         kernel_min_body: 64KiB  # 0...1GiB; default 64KiB
///         auto_splice_min_body: 128KiB # auto mode splices from here on, outside the kernel band; 0...1TiB; default 128KiB
///         auto_local_splice_min_body: 8MiB # the same for a client or upstream on this host (not a peer relay); 0...1TiB; default 8MiB
///         auto_min_body: 1024GiB  # auto mode's kernel band starts here; 0...1TiB; default 1024GiB (no band)
///         kernel_max_body: 64MiB  # auto mode's kernel band ends here; 0...1TiB; default 64MiB
///         flow_budget: 16MiB      # 256KiB...1GiB; default 16MiB
///         allow_connect: false    # default false
///         odb: off                # off | holder | intermediate | edge; default off
/// upstreams:                # name (letters, digits, . _ -) -> pool
///   api:
///     servers: [127.0.0.1:9000, "[::1]:9000"]   # required, non-empty, each with a host
///     max_idle_per_server: 32 # 0...10000; default 32
///     fail_timeout: 10s       # default 10s
///     odb_peer: false         # the servers are ODB peers; default false
/// ```
public struct RelayConfig: Sendable, Equatable {
    /// Number of worker threads, each with its own listening sockets.
    public internal(set) var workers: Int
    /// Directory in bpffs where the kernel objects are pinned.
    public internal(set) var pinDirectory: String
    /// User to switch to once privileged setup is done; nil keeps the current user.
    public internal(set) var user: String?
    /// Group to switch to with `user`; nil means the user's primary group.
    public internal(set) var group: String?
    public internal(set) var timeouts: Timeouts
    public internal(set) var limits: Limits
    public internal(set) var admin: AdminConfig?
    public internal(set) var log: LogConfig
    /// Virtual payload settings; nil when no route uses ODB.
    public internal(set) var odb: VirtualPayloadConfig?
    /// Listeners in file order; never empty.
    public internal(set) var listeners: [ListenerConfig]
    /// Upstream pools by name; every route's `upstream` is a key here.
    public internal(set) var upstreams: [String: UpstreamConfig]

    /// Where `attach`, `status` and the relay find the pinned maps and programs unless told otherwise.
    public static let defaultPinDirectory = "/sys/fs/bpf/odb-redirect"
    static let workerRange = 1...1024

    /// The number of online CPUs, the default worker count.
    static var onlineCPUs: Int {
        let count = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return min(max(count, workerRange.lowerBound), workerRange.upperBound)
    }

    /// Whether any route's mode needs the kernel objects loaded.
    public var usesKernel: Bool {
        listeners.contains { $0.routes.contains { $0.mode.usesKernel } }
    }

    /// Returns this configuration with command-line flags applied on top of the file.
    ///
    /// - Parameters:
    ///   - workers: Replaces `workers` when given; must be within 1...1024.
    ///   - mode: Replaces the mode of every route when given.
    /// - Throws: `ConfigError` naming `--workers` when the count is out of range.
    public func overriding(workers: Int? = nil, mode: RelayMode? = nil) throws(ConfigError) -> RelayConfig {
        var config = self
        if let workers {
            config.workers = try Self.validatedWorkers(workers)
        }
        if let mode {
            for listener in config.listeners.indices {
                for route in config.listeners[listener].routes.indices {
                    config.listeners[listener].routes[route].mode = mode
                }
            }
        }
        return config
    }

    static func validatedWorkers(_ workers: Int) throws(ConfigError) -> Int {
        guard workerRange.contains(workers) else {
            throw ConfigError(file: "--workers", reason: "must be between 1 and 1024, got \(workers)")
        }
        return workers
    }
}
