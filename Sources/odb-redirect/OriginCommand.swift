import ArgumentParser
import ODBBench
import ODBConfig

extension OdbRedirect {
    /// Runs the benchmark's built-in origin server.
    struct OriginCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "origin",
            abstract: "Serve GET /bytes/N with N deterministic bytes (the bench's origin).",
            discussion: """
                Byte i of every body is i % 251, so clients can check content as well as length. Any path \
                ending in /bytes/N is served the same way. A POST or PUT to a path ending in /upload whose body \
                (Content-Length or chunked) is the same pattern is answered 200 with Upload-Received: N, and one \
                whose data differs 422 with Upload-Differs-At: the first wrong offset. With --odb-name, --odb-secret-file (or --odb-secret) \
                and --odb-claim-listen the origin is a virtual payload holder: a request carrying ODB-Peer with the secret gets a \
                descriptor (ODB-Payload) instead of the body, and the body is claimed once with \
                GET /odb/v1/payload/<token> on the claim listener (docs/DESIGN.md, "Virtual payload").
                """
        )

        @Option(help: "Address to listen on (IPv4 host:port).")
        var listen: String

        @Option(help: "Accepting threads per listener, each with its own SO_REUSEPORT socket.")
        var workers: Int = 2

        @Option(name: .customLong("odb-name"), help: "Holder name in the descriptors this origin issues.")
        var odbName: String?

        @Option(name: .customLong("odb-secret"),
                help: "The secret ODB peers share (at least 16 visible ASCII characters); visible to other users in ps.")
        var odbSecret: String?

        @Option(name: .customLong("odb-secret-file"),
                help: "A file whose first line is the secret ODB peers share, as the relay's odb.secret_file.")
        var odbSecretFile: String?

        @Option(name: .customLong("odb-claim-listen"), help: "Address where peers claim held payloads (IPv4 host:port).")
        var odbClaimListen: String?

        @Option(name: .customLong("odb-hold-timeout"), help: "Seconds an unclaimed payload stays claimable.")
        var odbHoldTimeout: Double = 10

        @Option(name: .customLong("odb-max-held"), help: "Most payloads held at once; past it, bodies are served for real.")
        var odbMaxHeld: Int = OriginHoldSettings.defaultMaxHeldPayloads

        func validate() throws {
            _ = try HostPort(parsing: listen)
            if workers < 1 || workers > 256 { throw ValidationError("--workers must be between 1 and 256") }
            _ = try holding()
        }

        func run() throws {
            try OriginServer(address: HostPort(parsing: listen), workers: workers, holding: holding()).run()
        }

        /// The holder settings, nil when no --odb option is given; name, secret and claim
        /// address are needed together.
        private func holding() throws -> OriginHoldSettings? {
            switch (odbName, try secret(), odbClaimListen) {
            case (nil, nil, nil):
                return nil
            case let (name?, secret?, claimListen?):
                guard odbHoldTimeout.isFinite, odbHoldTimeout > 0, odbHoldTimeout <= 86_400 else {
                    throw ValidationError("--odb-hold-timeout must be between 0 and 86400 seconds")
                }
                guard (1...1_000_000).contains(odbMaxHeld) else { throw ValidationError("--odb-max-held must be between 1 and 1000000") }
                do {
                    return try OriginHoldSettings(
                        name: name, secret: secret, claimListen: HostPort(parsing: claimListen),
                        holdTimeout: .milliseconds(Int64((odbHoldTimeout * 1000).rounded(.up))), maxHeldPayloads: odbMaxHeld)
                } catch {
                    throw ValidationError(error.description)
                }
            default:
                throw ValidationError(
                    "--odb-name, --odb-secret (or --odb-secret-file) and --odb-claim-listen go together: give all three or none")
            }
        }

        /// The secret from --odb-secret, or read and checked as the relay reads `odb.secret_file`.
        private func secret() throws -> String? {
            switch (odbSecret, odbSecretFile) {
            case (nil, nil):
                return nil
            case let (secret?, nil):
                return secret
            case let (nil, path?):
                do {
                    return try VirtualPayloadConfig.secret(fromFile: path)
                } catch {
                    throw ValidationError("--odb-secret-file: \(error)")
                }
            case (_?, _?):
                throw ValidationError("--odb-secret-file: give either --odb-secret or --odb-secret-file, not both")
            }
        }
    }
}
