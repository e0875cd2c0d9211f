import Foundation
import Glibc

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
    /// The splice thresholds of relays in mode auto.
    public var autoSplice = AutoSpliceThresholds()
    /// The intermediate the caller runs, for `external`.
    public var externalProxy: HostPort?
    /// Each tier in its own network namespace; nil runs everything on loopback.
    public var namespaces: NetworkNamespaces?
    /// The secret and origin claim port of virtual chains; nil when the run has no virtual mode.
    var peering: VirtualPayloadChain.Peering?

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

extension ChainSettings {
    /// Where servers listen: loopback, or every address of their namespace.
    var listenHost: String { namespaces == nil ? "127.0.0.1" : "0.0.0.0" }

    /// The address `from` connects to for a server of `to`.
    func address(of to: Tier, from: Tier) -> String {
        namespaces?.address(of: to, from: from) ?? "127.0.0.1"
    }

    /// Starts a program in the tier's place.
    func launch(_ tier: Tier, name: String, executable: String, arguments: [String], logPath: String) throws(BenchError) -> ManagedProcess {
        let (program, wrapped) = namespaces?.command(tier, executable, arguments) ?? (executable, arguments)
        return try ManagedProcess(name: name, executable: program, arguments: wrapped, logPath: logPath)
    }

    /// Waits until the client reaches the tier's server on `port`: connections from where the
    /// load starts, to the address it uses. A listing of the namespace's sockets is not enough:
    /// in one CI run a bench's first connection to the origin was refused after that listing
    /// had shown the origin listening. Only tiers linked to the client (the origin, the first
    /// intermediate) can be waited on this way.
    func waitUntilClientReaches(_ process: ManagedProcess, tier: Tier, port: Int) throws(BenchError) {
        try process.waitUntilListening(port: port, host: address(of: tier, from: .client))
    }

    /// Waits until the tier's server accepts on `port`, from wherever it can be seen.
    func waitUntilListening(_ process: ManagedProcess, tier: Tier, port: Int) throws(BenchError) {
        guard let namespaces else { return try process.waitUntilListening(port: port) }
        let deadline = Date().addingTimeInterval(ManagedProcess.listenTimeout)
        while !namespaces.isListening(tier, port: port) {
            guard process.isRunning else { throw .processFailed(name: process.name, detail: process.logTail) }
            guard Date() < deadline else { throw .notListening(name: process.name, port: port, log: process.logTail) }
            usleep(50_000)
        }
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (the kernel's pick for port 0).
func freeLoopbackPort() throws(BenchError) -> Int {
    let socket = try TCPSocket.listen(host: "127.0.0.1", port: 0)
    defer { socket.close() }
    return socket.localPort
}
