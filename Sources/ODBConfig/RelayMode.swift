/// How a route moves message bodies between client and upstream.
///
/// Heads are always parsed in user space; the mode only decides the path of the body bytes.
/// The slower modes exist as fallbacks for kernels or sockets where the faster one is
/// unavailable, and as a baseline when measuring.
public enum RelayMode: String, Sendable, CaseIterable {
    /// Bodies are redirected socket-to-socket by the eBPF sockmap program.
    case kernel
    /// Bodies go through a pipe with splice(2), avoiding copies into user memory.
    case splice
    /// Bodies are read into and written from user-space buffers.
    case copy
    /// Each body takes the path measured cheapest for its size: redirected in the kernel from
    /// the route's `auto_min_body` (and at least its `kernel_min_body`) up to its
    /// `kernel_max_body`, spliced from its `auto_splice_min_body` on outside that band (from
    /// `auto_local_splice_min_body` on when a client or an upstream on this host reads it, not a
    /// peer relay), copied when shorter and when its length is unknown. The defaults, splice
    /// from 128 KiB on (8 MiB to a local endpoint) and no kernel band, follow
    /// docs/PERFORMANCE.md §4.
    case auto

    /// Whether routes in this mode need the kernel objects loaded.
    public var usesKernel: Bool { self == .kernel || self == .auto }
}
