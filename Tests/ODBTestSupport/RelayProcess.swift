import Foundation
import Glibc

/// An `odb-redirect relay` process started from a YAML config, with its own pin root.
public final class RelayProcess {
    public let port: Int
    public let pinRoot: String
    public let configPath: String
    public let process: Process
    private let logPath: String

    /// - Parameters:
    ///   - upstreams: host:port of each server of the single upstream pool.
    ///   - mode: kernel, splice, copy or auto.
    ///   - extraRoute: more YAML keys for the route (indented for the route mapping).
    ///   - log: the `log` section's keys, indented by two spaces.
    public convenience init(upstreams: [String], mode: String, workers: Int = 2, extraRoute: String = "",
                            extraTop: String = "", log: String = "  level: notice\n  access_log: false",
                            pinRoot: String? = nil, launcher: [String] = []) throws {
        let servers = upstreams.map { "\"\($0)\"" }.joined(separator: ", ")
        try self.init(pinRoot: pinRoot, launcher: launcher) { port in
            """
            workers: \(workers)
            log:
            \(log)
            \(extraTop)
            listeners:
              - listen: "127.0.0.1:\(port)"
                routes:
                  - upstream: origin
                    mode: \(mode)
            \(extraRoute)
            upstreams:
              origin:
                servers: [\(servers)]
            """
        }
    }

    /// A relay whose whole configuration file is `yaml(port)`, listening on 127.0.0.1:`port`.
    ///
    /// - Parameters:
    ///   - executable: the odb-redirect binary (a copy other users can run, for instance).
    ///   - launcher: a command that runs the binary, e.g. setpriv with its options.
    public init(pinRoot: String? = nil, executable: String = CommandRunner.odbRedirect, launcher: [String] = [],
                yaml: (_ port: Int) -> String) throws {
        port = freePort()
        let tag = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        self.pinRoot = pinRoot ?? "/sys/fs/bpf/odb-test-relay-\(tag)"
        configPath = NSTemporaryDirectory() + "odb-relay-\(tag).yaml"
        logPath = NSTemporaryDirectory() + "odb-relay-\(tag).log"
        try yaml(port).write(toFile: configPath, atomically: true, encoding: .utf8)
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
            throw TestHTTPClient.ClosedEarly(description: "relay did not start: \(log)")
        }
    }

    public var pid: Int32 { process.processIdentifier }

    /// Open file descriptors of the relay process.
    public var openFileCount: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    /// Entries in the BPF flow table of this relay's pin set (`status --json`), -1 if unreadable.
    public func kernelFlowCount() throws -> Int {
        let result = try CommandRunner.odb("status", "--json", "--pin", pinRoot)
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let sets = report?["sets"] as? [[String: Any]] ?? []
        return sets.isEmpty ? -1 : sets.reduce(0) { $0 + (($1["flows"] as? [Any])?.count ?? 0) }
    }

    public var log: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// Replaces the configuration file (the relay reads it again on SIGHUP).
    public func rewriteConfig(_ yaml: String) throws {
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    public func signal(_ number: Int32) {
        Glibc.kill(pid, number)
    }

    /// Waits until the relay's log contains `text` `count` times.
    public func waitForLog(_ text: String, count: Int = 1, seconds: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if log.components(separatedBy: text).count - 1 >= count { return true }
            usleep(50_000)
        } while Date() < deadline
        return false
    }

    /// Waits up to `seconds` for the process to exit on its own.
    public func exits(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return !process.isRunning
    }

    /// This relay's entry in `status --json`: its counters.
    public func statusEntry() throws -> [String: Any]? {
        let result = try CommandRunner.odb("status", "--json", "--pin", pinRoot)
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let sets = report?["sets"] as? [[String: Any]] ?? []
        return sets.flatMap { $0["relays"] as? [[String: Any]] ?? [] }.first { ($0["pid"] as? Int) == Int(pid) }
    }

    /// SIGTERM, then SIGKILL if the relay has not exited within `grace` seconds.
    public func stop(grace: Double = 15) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill() }
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
        rmdir(pinRoot)
    }
}
