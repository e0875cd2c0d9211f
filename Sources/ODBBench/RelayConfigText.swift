import ODBConfig

/// The YAML an `odb-redirect relay` of a bench chain runs with.
enum RelayConfigText {
    /// One listener and one upstream, with one route or, for a virtual-faults middle relay, two;
    /// access logging off, as for nginx and HAProxy, so no intermediate pays for log lines the
    /// others do not write.
    static func yaml(listen: HostPort, upstream: HostPort, mode: String, workers: Int, pinRoot: String,
                     kernelMinBody: Int?, autoSplice: AutoSpliceThresholds = AutoSpliceThresholds(), odb: VirtualPayloadChain.Hop? = nil) -> String {
        let threshold = (kernelMinBody.map { "\n        kernel_min_body: \($0)" } ?? "")
            + autoSplice.keys.map { "\n        \($0.key): \($0.bytes)" }.joined()
        var routes = """
                  - upstream: next
                    mode: \(mode)\(threshold)\(role(odb?.route))
            """
        if let faultRoute = odb?.faultRoute {
            routes += """

                      - path_prefix: \(BenchMode.faultPrefix)/
                        upstream: next
                        mode: \(mode)\(role(faultRoute))
                """
        }
        let peer = odb?.upstreamIsPeer == true ? "\n    odb_peer: true" : ""
        return """
            workers: \(workers)
            pin_dir: \(pinRoot)
            log:
              level: warning
              access_log: false
            \(odb.map(section) ?? "")listeners:
              - listen: "\(listen)"
                routes:
            \(routes)
            upstreams:
              next:
                servers: ["\(upstream)"]\(peer)
            """
    }

    /// A route's `odb:` line; none for `off`, the default.
    private static func role(_ role: VirtualPayloadRole?) -> String {
        guard let role, role != .off else { return "" }
        return "\n        odb: \(role.rawValue)"
    }

    /// The top-level `odb:` section, ending in a newline.
    private static func section(_ hop: VirtualPayloadChain.Hop) -> String {
        var lines = ["odb:"]
        if let name = hop.holderName { lines.append("  name: \(name)") }
        lines.append("  secret: \"\(hop.secret)\"")
        if let claimListen = hop.claimListen { lines.append("  claim_listen: \"\(claimListen)\"") }
        if !hop.peers.isEmpty {
            lines.append("  peers:")
            for peer in hop.peers { lines.append("    \(peer.name): \"\(peer.claim)\"") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
