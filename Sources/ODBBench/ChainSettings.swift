/// What every intermediate of a chain is started with.
public struct ChainSettings: Sendable {
    /// The `odb-redirect` binary relays are started from.
    public var odbRedirect: String
    /// Worker threads or processes of each relay, nginx and HAProxy (the same for all, so fair).
    public var workers: Int
    /// bpffs directory the relays pin their objects under.
    public var pinRoot: String
    /// Where configuration files and logs go.
    public var scratchDirectory: String
    /// `kernel_min_body` for kernel-faults relays: responses below it are copied.
    public var faultThreshold: Int
    /// The intermediate the caller runs, for `external`.
    public var externalProxy: HostPort?

    public init(odbRedirect: String, workers: Int, pinRoot: String, scratchDirectory: String,
                faultThreshold: Int = 0, externalProxy: HostPort? = nil) {
        self.odbRedirect = odbRedirect
        self.workers = workers
        self.pinRoot = pinRoot
        self.scratchDirectory = scratchDirectory
        self.faultThreshold = faultThreshold
        self.externalProxy = externalProxy
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (the kernel's pick for port 0).
func freeLoopbackPort() throws(BenchError) -> Int {
    let socket = try TCPSocket.listen(host: "127.0.0.1", port: 0)
    defer { socket.close() }
    return socket.localPort
}
