import ArgumentParser
import ODBBench

extension OdbRedirect {
    /// Runs the benchmark's built-in origin server.
    struct OriginCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "origin",
            abstract: "Serve GET /bytes/N with N deterministic bytes (the bench's origin).",
            discussion: "Byte i of every body is i % 251, so clients can check content as well as length."
        )

        @Option(help: "Address to listen on (IPv4 host:port).")
        var listen: String

        @Option(help: "Accepting threads, each with its own SO_REUSEPORT listener.")
        var workers: Int = 2

        func validate() throws {
            _ = try HostPort(parsing: listen)
            if workers < 1 || workers > 256 { throw ValidationError("--workers must be between 1 and 256") }
        }

        func run() throws {
            try OriginServer(address: HostPort(parsing: listen), workers: workers).run()
        }
    }
}
