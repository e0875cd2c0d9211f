import ODBConfig

/// What sits between the load generator and the origin in one configuration.
public enum BenchMode: String, CaseIterable, Codable, Sendable {
    /// Client to origin, no intermediate: the baseline.
    case direct
    /// odb-redirect relays, bodies redirected in the kernel.
    case kernel
    /// odb-redirect relays, bodies spliced through a pipe.
    case splice
    /// odb-redirect relays, bodies copied through user space.
    case copy
    /// odb-redirect relays, each body on the path picked for its size (`mode: auto`).
    case auto
    /// Kernel mode where a chosen share of responses falls back to copying: the shortcut with faults.
    case kernelFaults = "kernel-faults"
    /// nginx `proxy_pass` chain.
    case nginx
    /// HAProxy chain with splicing enabled.
    case haproxy
    /// An intermediate the caller runs (`--external-proxy`), in front of the bench's origin.
    case external

    /// Whether the intermediates are odb-redirect relays, which report counters.
    public var isRelay: Bool { relayMode != nil }

    /// Whether its relays load the BPF objects, whose maps hold the body counters.
    var relayLoadsKernel: Bool { relayMode?.usesKernel ?? false }

    /// Whether the chain length applies; direct and external have a fixed shape.
    public var hasChain: Bool { self != .direct && self != .external }

    /// The relay's `mode:` for relay modes.
    var relayMode: RelayMode? {
        switch self {
        case .kernel, .kernelFaults: return .kernel
        case .splice: return .splice
        case .copy: return .copy
        case .auto: return .auto
        default: return nil
        }
    }
}
