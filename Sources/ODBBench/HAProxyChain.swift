/// A chain of HAProxy hops, all in one HAProxy process.
///
/// `option splice-auto` lets HAProxy splice bodies between sockets through a pipe when it
/// judges it useful, and `splice-response` forces it for responses, the bench's direction:
/// HAProxy's best case for large bodies, which is what the kernel path has to beat.
enum HAProxyChain {
    static let executable = "/usr/sbin/haproxy"

    static func start(ports: [Int], origin: HostPort, settings: ChainSettings) throws(BenchError) -> IntermediateChain {
        let directory = settings.scratchDirectory + "/haproxy-\(ports[0])"
        try makeDirectory(directory)
        let hops = ports.indices.map { index in
            let upstream = index + 1 < ports.count ? HostPort(host: "127.0.0.1", port: ports[index + 1]) : origin
            return """
                frontend hop\(index)
                    bind 127.0.0.1:\(ports[index])
                    default_backend next\(index)
                backend next\(index)
                    server s0 \(upstream)
                """
        }.joined(separator: "\n")
        let config = """
            global
                nbthread \(settings.workers)
                maxconn 4096
            defaults
                mode http
                timeout connect 5s
                timeout client 60s
                timeout server 60s
                option http-keep-alive
                option splice-auto
                option splice-response
                http-reuse always
            \(hops)

            """
        try writeText(config, to: directory + "/haproxy.cfg")
        let process = try ManagedProcess(
            name: "haproxy chain", executable: executable,
            arguments: ["-f", directory + "/haproxy.cfg", "-db"], logPath: directory + "/haproxy.log")
        for port in ports { try process.waitUntilListening(port: port) }
        return IntermediateChain(entry: HostPort(host: "127.0.0.1", port: ports[0]), processes: [process])
    }
}
