/// A chain of HAProxy hops, one HAProxy process per hop (each with the threads every
/// intermediate gets, and each in its own namespace when tiers are separated).
///
/// `option splice-auto` lets HAProxy splice bodies between sockets through a pipe when it
/// judges it useful, and `splice-response` forces it for responses, the bench's direction:
/// HAProxy's best case for large bodies, which is what the kernel path has to beat.
enum HAProxyChain {
    static let executable = "/usr/sbin/haproxy"

    static func start(ports: [Int], origin: HostPort, settings: ChainSettings) throws(BenchError) -> IntermediateChain {
        try IntermediateChain.startHops(ports: ports, settings: settings) { index throws(BenchError) in
            let directory = settings.scratchDirectory + "/haproxy-\(ports[index])"
            try makeDirectory(directory)
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
                frontend hop
                    bind \(settings.listenHost):\(ports[index])
                    default_backend next
                backend next
                    server s0 \(IntermediateChain.upstream(of: index, ports: ports, origin: origin, settings: settings))

                """
            try writeText(config, to: directory + "/haproxy.cfg")
            return try settings.launch(
                .intermediate(index + 1), name: "haproxy \(index + 1)", executable: executable,
                arguments: ["-f", directory + "/haproxy.cfg", "-db"], logPath: directory + "/haproxy.log")
        }
    }
}
