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
    /// ODB relays: a descriptor travels the chain instead of the body, and the edge claims it
    /// from the holder (the ODB-aware built-in origin, or the last relay before a plain origin).
    /// The relays run the default `mode: auto`, so a claimed body takes the path auto picks for
    /// its size at the edge, as it does at any relay an operator runs.
    case virtual
    /// Virtual, where a chosen share of requests takes a route on which the middle relay
    /// claims the body and carries it on (a fault).
    case virtualFaults = "virtual-faults"
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

    /// Whether its relays speak ODB among themselves (`VirtualPayloadChain`).
    public var isVirtual: Bool { self == .virtual || self == .virtualFaults }

    /// The path prefix of the requests that fault at the middle relay in `virtual-faults`.
    static let faultPrefix = "/fault"

    /// The relay's `mode:` for relay modes.
    var relayMode: RelayMode? {
        switch self {
        case .kernel, .kernelFaults: return .kernel
        case .splice: return .splice
        case .copy: return .copy
        case .auto, .virtual, .virtualFaults: return .auto
        default: return nil
        }
    }
}
