/// The YAML an `odb-redirect relay` of a bench chain runs with.
enum RelayConfigText {
    /// One listener, one route, one upstream; access logging off, as for nginx and HAProxy,
    /// so no intermediate pays for log lines the others do not write.
    static func yaml(listen: HostPort, upstream: HostPort, mode: String, workers: Int, pinRoot: String,
                     kernelMinBody: Int?) -> String {
        let threshold = kernelMinBody.map { "\n        kernel_min_body: \($0)" } ?? ""
        return """
            workers: \(workers)
            pin_dir: \(pinRoot)
            log:
              level: warning
              access_log: false
            listeners:
              - listen: "\(listen)"
                routes:
                  - upstream: next
                    mode: \(mode)\(threshold)
            upstreams:
              next:
                servers: ["\(upstream)"]
            """
    }
}
