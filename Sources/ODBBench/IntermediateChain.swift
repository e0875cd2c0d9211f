import Foundation

/// The intermediates of one configuration, running: the load generator talks to `entry`.
///
/// Started fresh for every configuration, so counters, RSS and connection pools start
/// from the same state each time and one mode's leftovers cannot bias the next.
public final class IntermediateChain: @unchecked Sendable {
    public let entry: HostPort
    /// Every process started, nearest the origin first.
    public let processes: [ManagedProcess]

    init(entry: HostPort, processes: [ManagedProcess]) {
        self.entry = entry
        self.processes = processes
    }

    /// Starts `length` intermediates of `mode` in front of `origin`.
    public static func start(mode: BenchMode, length: Int, origin: HostPort,
                             settings: ChainSettings) throws(BenchError) -> IntermediateChain {
        var ports = [Int]()
        for _ in 0..<(mode.hasChain ? length : 0) { ports.append(try freeLoopbackPort()) }
        switch mode {
        case .direct:
            return IntermediateChain(entry: HostPort(host: settings.address(of: .origin, from: .client), port: origin.port), processes: [])
        case .external:
            guard let proxy = settings.externalProxy else {
                throw .invalidArgument("mode external needs --external-proxy HOST:PORT")
            }
            return IntermediateChain(entry: proxy, processes: [])
        case .kernel, .splice, .copy, .auto, .kernelFaults, .virtual, .virtualFaults:
            return try startRelays(mode: mode, ports: ports, origin: origin, settings: settings)
        case .nginx:
            return try NginxProxyChain.start(ports: ports, origin: origin, settings: settings)
        case .haproxy:
            return try HAProxyChain.start(ports: ports, origin: origin, settings: settings)
        }
    }

    /// Hop `i` (0-based) listens on `ports[i]` and forwards to hop `i+1`, the last one to the origin.
    static func upstream(of index: Int, ports: [Int], origin: HostPort, settings: ChainSettings) -> HostPort {
        let tier = Tier.intermediate(index + 1)
        if index + 1 < ports.count {
            return HostPort(host: settings.address(of: .intermediate(index + 2), from: tier), port: ports[index + 1])
        }
        guard settings.namespaces != nil else { return origin }
        return HostPort(host: settings.address(of: .origin, from: tier), port: origin.port)
    }

    /// Starts one hop per port, nearest the origin first, each listening before the hop in
    /// front of it starts; `startHop` starts hop `index` (0-based from the client) on `ports[index]`.
    static func startHops(ports: [Int], settings: ChainSettings,
                          _ startHop: (_ index: Int) throws(BenchError) -> ManagedProcess) throws(BenchError) -> IntermediateChain {
        var processes = [ManagedProcess]()
        for index in ports.indices.reversed() {
            let process = try startHop(index)
            processes.append(process)
            try settings.waitUntilListening(process, tier: .intermediate(index + 1), port: ports[index])
        }
        return IntermediateChain(entry: HostPort(host: settings.address(of: .intermediate(1), from: .client), port: ports[0]),
                                 processes: processes)
    }

    private static func startRelays(mode: BenchMode, ports: [Int], origin: HostPort,
                                    settings: ChainSettings) throws(BenchError) -> IntermediateChain {
        let virtual = try virtualChain(mode: mode, length: ports.count, settings: settings)
        return try startHops(ports: ports, settings: settings) { index throws(BenchError) in
            let config = RelayConfigText.yaml(
                listen: HostPort(host: settings.listenHost, port: ports[index]),
                upstream: upstream(of: index, ports: ports, origin: origin, settings: settings),
                mode: (mode.relayMode ?? .kernel).rawValue, workers: settings.workers, pinRoot: settings.pinRoot,
                kernelMinBody: mode == .kernelFaults ? settings.faultThreshold : nil,
                autoSplice: mode.relayMode == .auto ? settings.autoSplice : AutoSpliceThresholds(),
                odb: virtual?.hop(index, settings: settings))
            let path = settings.scratchDirectory + "/relay-\(ports[index]).yaml"
            try writeText(config, to: path)
            return try settings.launch(
                .intermediate(index + 1), name: "relay \(index + 1) (\(mode.rawValue))", executable: settings.odbRedirect,
                arguments: ["relay", "--config", path, "--pin", settings.pinRoot],
                logPath: settings.scratchDirectory + "/relay-\(ports[index]).log")
        }
    }

    /// The ODB roles of a virtual chain; nil for other modes.
    private static func virtualChain(mode: BenchMode, length: Int, settings: ChainSettings)
        throws(BenchError) -> VirtualPayloadChain?
    {
        guard mode.isVirtual else { return nil }
        guard let peering = settings.peering else {
            throw .invalidArgument("mode \(mode.rawValue) needs the run to set up ODB peering")
        }
        return VirtualPayloadChain(length: length, faults: mode == .virtualFaults, peering: peering,
                                   holderClaimPort: try freeLoopbackPort())
    }

    /// The pids whose CPU and memory count as "the intermediates", workers included.
    public func pids() -> [Int32] {
        processes.flatMap { ProcFS.processTree(root: $0.pid) }
    }

    /// The pids of odb-redirect relays, whose counters `status` reports.
    public var relayPIDs: [Int32] { processes.map(\.pid) }

    /// The first intermediate that died, with its log, or nil when all still run.
    public func deadProcess() -> String? {
        processes.first { !$0.isRunning }.map { "\($0.name) exited: \($0.logTail)" }
    }

    public func stop() {
        for process in processes.reversed() { process.stop() }
    }
}

/// Writes a configuration file, with the path in the error.
func writeText(_ text: String, to path: String) throws(BenchError) {
    do {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    } catch {
        throw .processFailed(name: "bench", detail: "could not write \(path): \(error)")
    }
}
