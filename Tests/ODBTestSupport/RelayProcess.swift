import Foundation
import Glibc

/// An `odb-redirect relay` process started from a YAML config, with its own pin root.
public final class RelayProcess {
    public let port: Int
    public let pinRoot: String
    public let configPath: String
    public let process: Process
    private let logPath: String

    /// A relay with one route to one upstream pool: `upstreams` are its servers (host:port).
    public convenience init(upstreams: [String], route: RouteOptions, workers: Int = 2, log: LogOptions = LogOptions(),
                            admin: AdminOptions? = nil, limits: [LimitOption] = [],
                            timeouts: [TimeoutOption] = [], pinRoot: String? = nil, launcher: [String] = []) throws {
        try self.init(pinRoot: pinRoot, launcher: launcher) { port in
            .singleRoute(port: port, upstreams: upstreams, route: route, workers: workers, log: log, admin: admin,
                         limits: limits, timeouts: timeouts)
        }
    }

    /// A relay whose configuration file is `config(port)`, listening on 127.0.0.1:`port`.
    ///
    /// - Parameters:
    ///   - executable: the odb-redirect binary (a copy other users can run, for instance).
    ///   - launcher: a command that runs the binary, e.g. setpriv with its options.
    public init(pinRoot: String? = nil, executable: String = CommandRunner.odbRedirect, launcher: [String] = [],
                config: (_ port: Int) -> RelayConfigFile) throws {
        port = freePort()
        let tag = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        self.pinRoot = pinRoot ?? "/sys/fs/bpf/odb-test-relay-\(tag)"
        configPath = NSTemporaryDirectory() + "odb-relay-\(tag).yaml"
        logPath = NSTemporaryDirectory() + "odb-relay-\(tag).log"
        try config(port).yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        process = try Self.start(launcher + [executable, "relay", "--config", configPath, "--pin", self.pinRoot], logPath: logPath)
        try waitUntilListening(host: "127.0.0.1")
    }

    /// A relay started with the given arguments (its own config), listening on `port`.
    public init(commandLine: [String], port: Int, host: String = "127.0.0.1") throws {
        self.port = port
        let tag = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        pinRoot = "/sys/fs/bpf/odb-test-relay-\(tag)"
        configPath = ""
        logPath = NSTemporaryDirectory() + "odb-relay-\(tag).log"
        process = try Self.start([CommandRunner.odbRedirect] + commandLine + ["--pin", pinRoot], logPath: logPath)
        try waitUntilListening(host: host)
    }

    private static func start(_ arguments: [String], logPath: String) throws -> Process {
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
        return process
    }

    private func waitUntilListening(host: String) throws {
        guard waitForPort(port, host: host) else {
            stop()
            throw FixtureFailure("relay did not start: \(log)")
        }
    }

    public var pid: Int32 { process.processIdentifier }

    /// Open file descriptors of the relay process.
    public var openFileCount: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    /// Open pipe descriptors of the relay process, the ends of its standard streams included.
    public var openPipeCount: Int {
        descriptorTargets(pid: pid).count { $0.hasPrefix("pipe:[") }
    }

    /// Entries in the BPF flow table of this relay's pin set (`status --json`) but those of
    /// pooled upstreams between bodies, -1 if unreadable.
    public func kernelFlowCount() throws -> Int {
        try kernelFlows().map { $0.count { $0["state"] as? String != "idle" } } ?? -1
    }

    /// The BPF flow table's entries of this relay's pin set as `status --json` lists them, nil
    /// if unreadable.
    public func kernelFlows() throws -> [[String: Any]]? {
        let sets = try pinSets()
        return sets.isEmpty ? nil : sets.flatMap { $0["flows"] as? [[String: Any]] ?? [] }
    }

    public var log: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// Replaces the configuration file (the relay reads it again on SIGHUP).
    public func rewriteConfig(_ config: RelayConfigFile) throws {
        try rewriteConfig(yaml: config.yaml)
    }

    /// Replaces the configuration file with raw text, e.g. a broken file a reload must refuse.
    public func rewriteConfig(yaml: String) throws {
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    public func signal(_ number: Int32) {
        Glibc.kill(pid, number)
    }

    /// Waits until the relay's log contains `text` `count` times.
    public func waitForLog(_ text: String, count: Int = 1, seconds: Double = Waiting.timeout) -> Bool {
        eventually(timeout: seconds) { log.components(separatedBy: text).count - 1 >= count }
    }

    /// Waits up to `seconds` for the process to exit on its own.
    public func exits(within seconds: Double) -> Bool {
        eventually(timeout: seconds, poll: 0.02) { !process.isRunning }
    }

    /// The status counter `key`, or `key` within the group `group` (e.g. "limit_closes"); -1
    /// while the relay has no status entry or the entry lacks it.
    public func counter(_ key: String, in group: String? = nil) throws -> Int {
        let entry = try statusEntry()
        let value = group.map { (entry?[$0] as? [String: Any])?[key] } ?? entry?[key]
        return value as? Int ?? -1
    }

    /// The counter once `accepts` holds for it (the relay publishes its counters every 250 ms);
    /// throws when it does not within `timeout` seconds.
    @discardableResult
    public func waitForCounter(_ key: String, in group: String? = nil, timeout: Double = Waiting.timeout,
                               until accepts: (Int) -> Bool) throws -> Int {
        try waitFor("status counter \(group.map { "\($0)." } ?? "")\(key) of relay \(pid)", timeout: timeout,
                    { try counter(key, in: group) }, until: accepts)
    }

    /// Body bytes by path (kernel, splice, copy) once they account for at least `total` bytes.
    public func bodyBytes(atLeast total: Int) throws -> [String: Int] {
        try waitFor("relay \(pid) to count \(total) body bytes", {
            try statusEntry()?["body_bytes"] as? [String: Int] ?? [:]
        }, until: { $0.values.reduce(0, +) >= total })
    }

    /// True once the relay holds `client`'s accepted connection and has read every byte sent on it.
    public func hasReadEverything(from client: TestHTTPClient) -> Bool {
        socketRow(of: client)?.receiveQueue == 0
    }

    /// Whether the relay still holds its socket of `client`'s connection open.
    public func holdsConnection(of client: TestHTTPClient) -> Bool {
        socketRow(of: client) != nil
    }

    private func socketRow(of client: TestHTTPClient) -> TCPSocketRow? {
        let held = socketInodes(pid: pid)
        return TCPSocketRow.all().first { $0.localPort == port && $0.remotePort == client.localPort && held.contains($0.inode) }
    }

    /// The verdict's counter `key` (e.g. "budget_passes") in this relay's pin set, -1 if unreadable.
    public func kernelCounter(_ key: String) throws -> Int {
        let own = try pinSets().first { ($0["relays"] as? [[String: Any]] ?? []).contains(where: isOwn) }
        return (own?["counters"] as? [String: Any])?[key] as? Int ?? -1
    }

    /// This relay's entry in `status --json`: its counters.
    public func statusEntry() throws -> [String: Any]? {
        try pinSets().flatMap { $0["relays"] as? [[String: Any]] ?? [] }.first(where: isOwn)
    }

    /// Whether a relay entry of `status --json` is this process's.
    private func isOwn(_ entry: [String: Any]) -> Bool {
        (entry["pid"] as? Int) == Int(pid)
    }

    /// The pin sets under this relay's pin root, as `status --json` lists them.
    private func pinSets() throws -> [[String: Any]] {
        let result = try CommandRunner.odb("status", "--json", "--pin", pinRoot)
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return report?["sets"] as? [[String: Any]] ?? []
    }

    /// SIGTERM, then SIGKILL if the relay has not exited within `grace` seconds.
    public func stop(grace: Double = 15) {
        guard process.isRunning else { return }
        process.terminate()
        if !exits(within: grace) { kill() }
        process.waitUntilExit()
    }

    /// True when the relay exited on its own after SIGTERM within `grace` seconds.
    public func stopsGracefully(grace: Double = 15) -> Bool {
        process.terminate()
        return exits(within: grace)
    }

    public func kill() {
        Glibc.kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        stop()
        if !configPath.isEmpty { try? FileManager.default.removeItem(atPath: configPath) }
        try? FileManager.default.removeItem(atPath: logPath)
        removeEmptyPinDirectories()
    }

    /// Removes the pin root when nothing is pinned in it any more, together with the empty set
    /// directory a relay that switched user leaves behind (`PrivatePinSet`): with a pin root of
    /// its own no later relay start removes it.
    private func removeEmptyPinDirectories() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: pinRoot)) ?? [] where name.hasPrefix("relay-") {
            rmdir(pinRoot + "/" + name)
        }
        rmdir(pinRoot)
    }
}
