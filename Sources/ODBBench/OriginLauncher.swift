import Foundation

/// Starts the origin for a whole bench run; it outlives every configuration.
enum OriginLauncher {
    /// The origin's address and the process started for it (nil for an existing origin).
    static func start(_ kind: OriginKind, sizes: [Int], workers: Int, settings: ChainSettings)
        throws(BenchError) -> (HostPort, ManagedProcess?)
    {
        switch kind {
        case .existing(let address):
            return (address, nil)
        case .builtin:
            let port = try freeLoopbackPort()
            var arguments = ["origin", "--listen", "\(settings.listenHost):\(port)", "--workers", String(workers)]
            if let peering = settings.peering, let claimPort = peering.originClaimPort {
                let secretFile = settings.scratchDirectory + "/origin-odb-secret"
                try writeSecretFile(secretFile, secret: peering.secret)
                arguments += [
                    "--odb-name", VirtualPayloadChain.Peering.originName, "--odb-secret-file", secretFile,
                    "--odb-claim-listen", "\(settings.listenHost):\(claimPort)",
                ]
            }
            let process = try settings.launch(
                .origin, name: "origin", executable: settings.odbRedirect, arguments: arguments,
                logPath: settings.scratchDirectory + "/origin.log")
            try settings.waitUntilClientReaches(process, tier: .origin, port: port)
            return (HostPort(host: "127.0.0.1", port: port), process)
        case .nginx:
            let port = try freeLoopbackPort()
            let directory = settings.scratchDirectory + "/nginx-origin"
            try makeDirectory(directory + "/bytes")
            for size in Set(sizes) { try writePatternFile(directory + "/bytes/\(size)", size: size) }
            // `/fault/bytes/N` is the same file, as the built-in origin serves any path ending in `/bytes/N`.
            try linkFaultPrefix(in: directory)
            let server = """
                sendfile on;
                tcp_nopush on;
                default_type application/octet-stream;
                server {
                    listen \(settings.listenHost):\(port) reuseport;
                    root \(directory);
                }
                """
            let process = try NginxInstance.start(
                name: "nginx origin", directory: directory, workers: workers, http: server, tier: .origin, settings: settings)
            try settings.waitUntilClientReaches(process, tier: .origin, port: port)
            return (HostPort(host: "127.0.0.1", port: port), process)
        }
    }

    /// Makes `directory/fault` name `directory` itself.
    static func linkFaultPrefix(in directory: String) throws(BenchError) {
        let link = directory + BenchMode.faultPrefix
        guard (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == nil else { return }
        do {
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: ".")
        } catch {
            throw .processFailed(name: "bench", detail: "could not link \(link): \(error)")
        }
    }

    /// Writes the secret for `--odb-secret-file`, readable by its owner only, so that it shows
    /// neither in `ps` nor to other users.
    static func writeSecretFile(_ path: String, secret: String) throws(BenchError) {
        guard FileManager.default.createFile(atPath: path, contents: Data((secret + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw .processFailed(name: "bench", detail: "could not create \(path)")
        }
    }

    /// Writes a file holding the first `size` pattern bytes, as the built-in origin would send.
    static func writePatternFile(_ path: String, size: Int) throws(BenchError) {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw .processFailed(name: "bench", detail: "could not create \(path)")
        }
        defer { try? handle.close() }
        var written = 0
        while written < size {
            let slice = PatternBytes.slice(at: written, count: size - written)
            handle.write(Data(slice))
            written += slice.count
        }
    }
}
