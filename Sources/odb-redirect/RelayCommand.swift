import ArgumentParser
import Logging
import ODBConfig
import ODBRelay

extension OdbRedirect {
    /// Runs the HTTP relay from a config file or from quick-start flags.
    struct RelayCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "relay",
            abstract: "Run the HTTP/1.1 relay: heads in user space, bodies in the kernel.",
            discussion: """
                Configure with --config FILE (YAML; --print-example-config shows every key) or, \
                for a quick start, with --listen and --upstream. --mode and --workers override \
                the file; --check-config loads and checks it as the relay does when it starts, and \
                exits. SIGHUP reloads the file; SIGTERM and SIGINT stop accepting and let \
                in-flight exchanges finish within timeouts.shutdown_grace.
                """
        )

        @Option(help: "YAML configuration file.")
        var config: String?

        @Option(help: "Address to listen on (host:port, [v6]:port or :port); repeatable.")
        var listen: [String] = []

        @Option(help: "Upstream server (host:port); repeatable, round-robin.")
        var upstream: [String] = []

        @Option(help: "How bodies move: kernel, splice, copy, or auto (by body size, docs/PERFORMANCE.md; the default).")
        var mode: String?

        @Option(help: "Worker event loops (default: one per CPU).")
        var workers: Int?

        @Flag(help: "Print a complete example configuration and exit.")
        var printExampleConfig = false

        @Flag(help: "Load and check the configuration, print what it holds, and exit without starting.")
        var checkConfig = false

        @OptionGroup var pin: PinOptions

        func validate() throws {
            if printExampleConfig { return }
            if config == nil && (listen.isEmpty || upstream.isEmpty) {
                throw ValidationError("give --config FILE, or both --listen and --upstream")
            }
            if config != nil && (!listen.isEmpty || !upstream.isEmpty) {
                throw ValidationError("--listen and --upstream are for a quick start without --config")
            }
            if let mode, RelayMode(rawValue: mode) == nil {
                throw ValidationError("--mode must be kernel, splice, copy or auto, not \"\(mode)\"")
            }
            if let workers, workers < 1 || workers > 256 {
                throw ValidationError("--workers must be between 1 and 256")
            }
        }

        /// The file (or quick-start flags) with the command-line overrides; SIGHUP calls it again.
        private func loadConfig() throws(ConfigError) -> RelayConfig {
            let chosenMode = mode.flatMap(RelayMode.init(rawValue:))
            if let config {
                return try RelayConfig.load(path: config).overriding(workers: workers, mode: chosenMode)
            }
            return try RelayConfig.quickStart(listen: listen, upstreams: upstream, mode: chosenMode ?? .auto, workers: workers)
        }

        func run() throws {
            if printExampleConfig {
                print(ConfigExample.yaml)
                return
            }
            let relayConfig = try loadConfig()
            if checkConfig {
                print("\(config ?? "the command line"): configuration OK: \(Self.summary(relayConfig))")
                return
            }
            let logger = LogSetup.bootstrap(relayConfig.log)
            let pinRoot = pin.isDefault ? relayConfig.pinDirectory : pin.directory
            try Relay(config: relayConfig, pinRoot: pinRoot, logger: logger, metrics: MetricsSetup.bootstrap(),
                      reload: loadConfig).run()
        }

        private static func summary(_ config: RelayConfig) -> String {
            let routes = config.listeners.reduce(0) { $0 + $1.routes.count }
            return "\(counted(config.listeners.count, "listener")), \(counted(routes, "route")), "
                + "\(counted(config.upstreams.count, "upstream")), \(config.workers) workers"
        }

        private static func counted(_ count: Int, _ noun: String) -> String {
            "\(count) \(noun)\(count == 1 ? "" : "s")"
        }
    }
}
