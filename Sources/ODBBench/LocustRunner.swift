import Foundation

/// Runs Locust headless at saturation: `users` users, each sending its next request as soon as
/// the last one is answered (as wrk's connections do).
struct LocustRunner {
    /// A locustfile of the user's, or nil for `defaultLocustfile`.
    let locustfile: String?
    let users: Int
    let seconds: Double

    /// Requests `/bytes/SIZE` and fails every response whose status or body is not the pattern;
    /// with a mix, PERCENT of the requests, spread evenly by `RequestMix`'s rule, ask for
    /// `MIX_PREFIX/bytes/MIX_SIZE`.
    static let defaultLocustfile = """
        import os
        from locust import FastHttpUser, constant, task
        SIZE = int(os.environ["ODB_BODY_SIZE"])
        MIX_SIZE = int(os.environ.get("ODB_MIX_SIZE", "0"))
        MIX_PERCENT = int(os.environ.get("ODB_MIX_PERCENT", "0"))
        MIX_PREFIX = os.environ.get("ODB_MIX_PREFIX", "")
        PATTERN = bytes(range(251)) * (max(SIZE, MIX_SIZE) // 251 + 1)
        class BodyUser(FastHttpUser):
            wait_time = constant(0)
            sent = 0
            @task
            def fetch(self):
                mixed = self.sent * MIX_PERCENT % 100 >= 100 - MIX_PERCENT
                self.sent += 1
                size = MIX_SIZE if mixed else SIZE
                path = "%s/bytes/%d" % (MIX_PREFIX if mixed else "", size)
                with self.client.get(path, name="/bytes", catch_response=True) as response:
                    if response.status_code != 200 or response.content != PATTERN[:size]:
                        response.failure("status %d, %d body bytes" % (response.status_code, len(response.content or b"")))
        """

    func run(target: HostPort, size: Int, mix: RequestMix?, scratchDirectory: String) throws(BenchError) -> LoadReport {
        var file = locustfile
        if file == nil {
            file = scratchDirectory + "/locustfile.py"
            try writeText(Self.defaultLocustfile, to: file!)
        }
        let prefix = scratchDirectory + "/locust-\(size)-\(users)"
        let duration = max(1, Int(seconds.rounded()))
        var environment = ["ODB_BODY_SIZE=\(size)"]
        if let mix {
            environment += ["ODB_MIX_SIZE=\(mix.other.size)", "ODB_MIX_PERCENT=\(mix.percent)", "ODB_MIX_PREFIX=\(mix.other.prefix)"]
        }
        // Locust exits with 1 when any request failed; the statistics still say how many.
        _ = try runToCompletion("/usr/bin/env", environment + [
            "locust", "-f", file!, "--headless", "-u", String(users), "-r", String(users), "-t", "\(duration)s",
            "--host", "http://\(target)", "--csv", prefix, "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "5",
        ], accepting: [0, 1])
        let csv: String
        do {
            csv = try String(contentsOfFile: prefix + "_stats.csv", encoding: .utf8)
        } catch {
            throw .unparsable(tool: "locust", detail: "no statistics at \(prefix)_stats.csv: \(error)")
        }
        return try LoadReport(locustStats: csv)
    }
}
