/// Resource caps that protect the relay from oversized or too many requests; the `limits` section.
///
/// The bounds accepted from a file are deliberately narrow: a head limit under 1KiB rejects
/// ordinary browsers, and one over 1MiB lets a single client pin large buffers.
public struct Limits: Sendable, Equatable {
    /// Largest request or response head accepted, in bytes.
    public var maxHeadBytes: Int
    /// Most header fields accepted in one head.
    public var maxHeaders: Int
    /// Most client connections open at once across all workers.
    public var maxConnections: Int
    /// Most client connections open at once from one client address across all workers; 0
    /// sets no cap. Off by default: every connection of a relay-to-relay hop or a NAT comes
    /// from one address.
    public var maxConnectionsPerClient: Int
    /// Requests one client connection may carry; the answer to the last one says
    /// `Connection: close`. 0 sets no cap.
    public var maxRequestsPerConnection: Int
    /// Most socket memory all kernel flows together may be given past `net.core.*_max` by
    /// SO_RCVBUFFORCE/SO_SNDBUFFORCE: each flow forces 8 MiB on its source for a response of
    /// declared length from 2 to 8 MiB, 4 MiB for any other body, and twice its target's send
    /// buffer on its target, held until the socket closes. A body that would pass
    /// it is copied in user space.
    public var kernelBufferMemory: Int
    /// The send buffer (SO_SNDBUF, which the kernel doubles) that the kernel windows a worker
    /// has open share among their targets: a window alone gets all of it, several split it,
    /// each at least 1 MiB and at most its route's `flow_budget`.
    public var kernelSendBuffer: Int

    public init(maxHeadBytes: Int = 64 << 10, maxHeaders: Int = 100, maxConnections: Int = 10_000,
                maxConnectionsPerClient: Int = 0, maxRequestsPerConnection: Int = 10_000, kernelBufferMemory: Int = 2 << 30,
                kernelSendBuffer: Int = 4 << 20) {
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaders = maxHeaders
        self.maxConnections = maxConnections
        self.maxConnectionsPerClient = maxConnectionsPerClient
        self.maxRequestsPerConnection = maxRequestsPerConnection
        self.kernelBufferMemory = kernelBufferMemory
        self.kernelSendBuffer = kernelSendBuffer
    }

    static let keys = ["max_head_bytes", "max_headers", "max_connections", "max_connections_per_client", "max_requests_per_connection",
                       "kernel_buffer_memory", "kernel_send_buffer"]

    init(from section: ConfigMapping?) throws(ConfigError) {
        let defaults = Limits()
        guard let section else {
            self = defaults
            return
        }
        self.init(
            maxHeadBytes: try section.value("max_head_bytes", default: defaults.maxHeadBytes) { node throws(ConfigError) in
                try node.byteSize(in: (1 << 10)...(1 << 20))
            },
            maxHeaders: try section.value("max_headers", default: defaults.maxHeaders) { node throws(ConfigError) in
                try node.int(in: 1...10_000)
            },
            maxConnections: try section.value("max_connections", default: defaults.maxConnections) { node throws(ConfigError) in
                try node.int(in: 1...10_000_000)
            },
            maxConnectionsPerClient: try section.value("max_connections_per_client", default: defaults.maxConnectionsPerClient) {
                node throws(ConfigError) in try node.int(in: 0...10_000_000)
            },
            maxRequestsPerConnection: try section.value("max_requests_per_connection", default: defaults.maxRequestsPerConnection) {
                node throws(ConfigError) in try node.int(in: 0...1_000_000_000)
            },
            kernelBufferMemory: try section.value("kernel_buffer_memory", default: defaults.kernelBufferMemory) { node throws(ConfigError) in
                try node.byteSize(in: (16 << 20)...(1 << 40))
            },
            kernelSendBuffer: try section.value("kernel_send_buffer", default: defaults.kernelSendBuffer) { node throws(ConfigError) in
                try node.byteSize(in: (1 << 20)...(1 << 30))
            }
        )
    }
}
