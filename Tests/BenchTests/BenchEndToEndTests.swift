import Foundation
import ODBTestSupport
import Testing

/// `odb-redirect bench` as a user runs it: real origin, relays, wrk; outputs parsed back.
@Suite(.serialized) struct BenchEndToEndTests {
    static let expectedColumns = [
        "mode", "load", "body_bytes", "concurrency", "chain", "repetition", "origin", "target_rate",
        "requests", "seconds", "requests_per_second", "megabytes_per_second",
        "latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "latency_max_ms",
        "intermediate_cpu_seconds", "intermediate_cpu_micros_per_request",
        "machine_cpu_seconds", "machine_cpu_micros_per_request", "topology_cpu_seconds", "topology_cpu_micros_per_request",
        "peak_intermediate_rss_kib", "mem_available_drop_kib", "tcp_mem_peak_pages", "tcp_mem_rise_pages",
        "kernel_body_bytes", "splice_body_bytes", "copy_body_bytes", "kernel_share", "fallbacks",
        "body_hops_per_request", "virtual_held", "virtual_passed", "virtual_claims", "virtual_faults",
        "virtual_failed_claims", "planned_fallback_share", "verified_requests", "errors", "late_starts", "failed", "reason",
    ]

    static func temporaryDirectory() -> String {
        NSTemporaryDirectory() + "odb-bench-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    static func rows(_ directory: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/samples.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
    }

    /// Checks that no bench namespace, and no link end of one in this namespace, is left behind.
    static func expectNamespacesRemoved(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let namespaces = try CommandRunner.run("/usr/sbin/ip", ["netns", "list"])
        #expect(!namespaces.stdout.contains("odbb"), "namespaces removed: \(namespaces.stdout)", sourceLocation: sourceLocation)
        let links = try CommandRunner.run("/usr/sbin/ip", ["-o", "link", "show"])
        #expect(!links.stdout.contains("odbb"), "links removed: \(links.stdout)", sourceLocation: sourceLocation)
    }

    /// Leaves what a bench that is gone would, named after a process id nobody has: a namespace,
    /// and a link with the address and route of the client's link to the origin.
    static func leaveWhatABenchGoneLeft() throws {
        let pid = try #require((10_000...99_999).reversed().first { kill(pid_t($0), 0) != 0 && errno == ESRCH })
        let device = "odbb\(pid)a2"
        for arguments in [["netns", "add", "odbb\(pid)-o"], ["link", "add", device, "type", "veth", "peer", "name", "odbb\(pid)b2"],
                          ["addr", "add", "10.214.0.1/24", "dev", device], ["link", "set", device, "up"]] {
            let result = try CommandRunner.run("/usr/sbin/ip", arguments)
            try #require(result.status == 0, "ip \(arguments): \(result.stderr)")
        }
    }

    @Test func tinySweepRunsAndItsOutputParses() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try CommandRunner.odb(
            "bench", "--modes", "direct,kernel,copy,kernel-faults", "--sizes", "128KiB", "--concurrency", "4",
            "--duration", "1", "--repetitions", "1", "--rate", "200", "--output", directory)
        #expect(result.status == 0, "stderr: \(result.stderr.suffix(3000))")
        #expect(result.stderr.contains("[8/8]"), "one progress line per configuration")
        #expect(result.stdout.contains("| kernel ×1 |"), "side-by-side table printed")

        let csv = try String(contentsOfFile: directory + "/samples.csv", encoding: .utf8)
        let lines = csv.split(separator: "\n")
        #expect(lines.first.map { $0.split(separator: ",").map(String.init) } == Self.expectedColumns)
        #expect(lines.count == 9, "header + 4 modes × (saturation + rate)")

        let rows = try Self.rows(directory)
        #expect(rows.count == 8)
        for row in rows {
            let mode = row["mode"] as? String ?? "?"
            #expect(Set(row.keys).isSuperset(of: Self.expectedColumns), "\(mode) row lacks columns")
            #expect(row["failed"] as? Bool == false, "\(mode): \(row["reason"] ?? "")")
            #expect((row["requests"] as? Int ?? 0) > 0)
            #expect((row["verified_requests"] as? Int ?? 0) >= 4)
            #expect((row["machine_cpu_seconds"] as? Double ?? 0) > 0)
            let topology = row["topology_cpu_seconds"] as? Double ?? -1
            #expect(topology > 0 && topology <= (row["machine_cpu_seconds"] as? Double ?? 0), "\(mode): topology CPU \(topology)")
            let p50 = row["latency_p50_ms"] as? Double ?? -1
            let p99 = row["latency_p99_ms"] as? Double ?? -1
            #expect(p50 > 0 && p50 <= p99, "\(mode): p50 \(p50) p99 \(p99)")
            let mbps = row["megabytes_per_second"] as? Double ?? 0
            let rps = row["requests_per_second"] as? Double ?? 0
            #expect(abs(mbps - rps * 131_072 / 1e6) < 0.01 * mbps + 0.01, "MB/s follows from req/s and size")
            if mode == "direct" {
                #expect(row["intermediate_cpu_seconds"] as? Double == 0)
            } else {
                #expect((row["intermediate_cpu_seconds"] as? Double ?? 0) > 0)
                #expect((row["peak_intermediate_rss_kib"] as? Int ?? 0) > 1024)
            }
            if mode == "kernel" {
                let share = try #require(row["kernel_share"] as? Double, "kernel rows carry a kernel share")
                #expect(share > 0.5 && share <= 1)
            }
            if mode == "kernel-faults" {
                // A quarter of the requests ask one byte below kernel_min_body, at either load.
                let share = try #require(row["kernel_share"] as? Double, "kernel-faults rows carry a kernel share")
                #expect(share > 0.5 && share < 0.9, "\(row["load"] ?? ""): a quarter of the bodies were copied: \(share)")
            }
            if row["load"] as? String == "rate" {
                #expect(row["target_rate"] as? Double == 200)
                #expect((row["latency_cdf"] as? [[Double]])?.count ?? 0 > 50)
                // 1 s at 200/s: every scheduled request was sent.
                #expect(row["requests"] as? Int == 200)
            }
        }
        let machine = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/machine.json"))) as? [String: Any]
        #expect((machine?["cores"] as? Int ?? 0) >= 1)
        #expect(FileManager.default.fileExists(atPath: directory + "/report.md"))
    }

    /// Each tier in its own namespace over rate-limited veth links: every mode of a chain of two
    /// still passes its body check, and the namespaces and links are gone afterwards. What an
    /// earlier bench left, a namespace and a link on the origin's subnet, is cleared first.
    @Test func separateNamespacesCarryAChainAndAreRemoved() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.leaveWhatABenchGoneLeft()
        let result = try CommandRunner.odb(
            "bench", "--netns", "--link-rate", "2gbit", "--modes", "direct,kernel,copy,nginx,haproxy",
            "--sizes", "256KiB", "--concurrency", "2", "--chains", "2", "--duration", "1", "--repetitions", "1",
            "--output", directory)
        #expect(result.status == 0, "stderr: \(result.stderr.suffix(3000))")
        let rows = try Self.rows(directory)
        #expect(rows.count == 5)
        for row in rows {
            #expect(row["failed"] as? Bool == false, "\(row["mode"] ?? "?"): \(row["reason"] ?? "")")
            // 2 Gbit/s is 250 MB/s: the links, not loopback, set the pace.
            #expect((row["megabytes_per_second"] as? Double ?? 1e9) < 260, "\(row["mode"] ?? "?") crossed the limited links")
        }
        let kernel = rows.first { $0["mode"] as? String == "kernel" }
        #expect((kernel?["kernel_share"] as? Double ?? 0) > 0.9, "relays in namespaces still redirect in the kernel")
        try Self.expectNamespacesRemoved()
    }

    /// The splice thresholds reach the relays of mode auto. On loopback every receiver is on the
    /// relay's host: 256 KiB bodies are copied at the relay's defaults, spliced with
    /// `--auto-local-splice-min-body 128KiB`, and copied again when `--auto-splice-min-body 1MiB`
    /// joins it, since a local receiver's threshold starts from that one at the earliest.
    @Test func autoSpliceThresholdsDecideTheRelaysPath() throws {
        func autoRow(_ thresholds: [String]) throws -> [String: Any]? {
            let directory = Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let result = try CommandRunner.run(CommandRunner.odbRedirect, [
                "bench", "--modes", "auto", "--sizes", "256KiB", "--concurrency", "2", "--duration", "1",
                "--repetitions", "1", "--output", directory] + thresholds)
            #expect(result.status == 0, "stderr: \(result.stderr.suffix(3000))")
            let report = try String(contentsOfFile: directory + "/report.md", encoding: .utf8)
            for (option, key) in [("--auto-splice-min-body", "auto_splice_min_body"), ("--auto-local-splice-min-body", "auto_local_splice_min_body")] {
                #expect(report.contains("`\(key):") == thresholds.contains(option), "the conditions name \(key) where it was set")
            }
            let row = try Self.rows(directory).first
            #expect(row?["failed"] as? Bool == false, "\(row?["reason"] ?? "")")
            return row
        }
        let copied = try autoRow([])
        #expect(copied?["splice_body_bytes"] as? Int == 0, "a local receiver gets 256 KiB copied by default")
        #expect((copied?["copy_body_bytes"] as? Int ?? 0) > 0)
        let spliced = try autoRow(["--auto-local-splice-min-body", "128KiB"])
        #expect((spliced?["splice_body_bytes"] as? Int ?? 0) > 0, "spliced from the local threshold on")
        let bounded = try autoRow(["--auto-local-splice-min-body", "128KiB", "--auto-splice-min-body", "1MiB"])
        #expect(bounded?["splice_body_bytes"] as? Int == 0, "nothing spliced below auto_splice_min_body")
    }

    /// Virtual chains of 1 and 2 behind the ODB-aware built-in origin: every body checked byte
    /// for byte, the edge claims from the origin, relay 2 passes descriptors on without carrying
    /// a body, and on virtual-faults' `/fault/` share the middle relay faults and carries it on.
    @Test func virtualChainsBehindTheBuiltinOriginClaimAtTheEdge() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try CommandRunner.odb(
            "bench", "--modes", "virtual,virtual-faults", "--fault-percent", "50", "--sizes", "256KiB",
            "--concurrency", "2", "--chains", "1,2", "--duration", "1", "--repetitions", "1", "--output", directory)
        #expect(result.status == 0, "stderr: \(result.stderr.suffix(3000))")
        let rows = try Self.rows(directory).map(VirtualRow.init)
        #expect(rows.count == 4)
        for row in rows {
            row.expectPassedWithoutFailedClaims()
            #expect((row.count("verified_requests") ?? 0) >= 4)
            row.expect("virtual_claims", atLeast: row.requests / 2, "the edge claimed")
            row.expect("virtual_held", is: 0, "the origin holds, no relay does")
            if row.mode == "virtual" {
                // Only the edge carries the body, whatever the chain's length.
                row.expectHops(above: 0.8, below: 1.3)
                row.expect("virtual_faults", is: 0)
                if row.chain == 2 { row.expect("virtual_passed", atLeast: row.requests / 2, "relay 2 passed descriptors on") }
            } else if row.chain == 2 {
                // Half the requests fault at relay 2, which carries them on to relay 1: 1.5 hops.
                row.expect("virtual_faults", atLeast: row.requests / 4, "the middle relay faulted")
                row.expectHops(above: 1.2, below: 1.8)
            }
        }
        #expect(FileManager.default.fileExists(atPath: directory + "/chain_requests_per_second_saturation.png"),
                "the run drew its plots")
        #expect(try String(contentsOfFile: directory + "/report.md", encoding: .utf8).contains("](chain_body_hops_saturation.png)"))
    }

    /// Virtual chains across separate hosts behind nginx: the last relay holds, the edge claims
    /// from it over the mesh link (chain 3: relay 1 to relay 3), the relay between carries nothing.
    @Test func virtualChainsBehindNginxAcrossNamespacesClaimFromTheHolderRelay() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try CommandRunner.odb(
            "bench", "--netns", "--origin", "nginx", "--modes", "virtual,virtual-faults", "--fault-percent", "50",
            "--sizes", "256KiB", "--concurrency", "2", "--chains", "1,3", "--duration", "1", "--repetitions", "1",
            "--output", directory)
        #expect(result.status == 0, "stderr: \(result.stderr.suffix(3000))")
        let rows = try Self.rows(directory).map(VirtualRow.init)
        #expect(rows.count == 4)
        for row in rows {
            row.expectPassedWithoutFailedClaims()
            if row.chain == 1 {
                // The one relay faces a plain client: nothing is held, the body is relayed once.
                row.expect("virtual_held", is: 0)
                row.expectHops(above: 0.8, below: 1.3)
            } else if row.mode == "virtual" {
                row.expect("virtual_held", atLeast: row.requests / 2, "relay 3 held")
                row.expect("virtual_claims", atLeast: row.requests / 2, "relay 1 claimed")
                // Holder and edge carry the body; relay 2 does not (3 for a real chain).
                row.expectHops(above: 1.7, below: 2.4)
            } else {
                row.expect("virtual_faults", atLeast: row.requests / 4, "relay 2 faulted")
            }
        }
        try Self.expectNamespacesRemoved()
    }

    /// Locust as the saturation driver: its users check every body, and its statistics fill the table.
    /// Five seconds, since Locust's run time starts before its users are spawned, and on a busy
    /// machine a 2 s run once completed no request at all.
    @Test func locustDriverRunsATinySweep() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try CommandRunner.odb(
            "bench", "--driver", "locust", "--modes", "direct,kernel", "--sizes", "64KiB", "--concurrency", "2",
            "--duration", "5", "--repetitions", "1", "--output", directory)
        #expect(result.status == 0, "stderr: \(result.stderr.suffix(3000))")
        for row in try Self.rows(directory) {
            let mode = row["mode"] as? String ?? "?"
            #expect(row["failed"] as? Bool == false, "\(mode): \(row["reason"] ?? "")")
            #expect((row["requests"] as? Int ?? 0) > 50, "\(mode): Locust's users completed requests")
            #expect((row["latency_p99_ms"] as? Double ?? -1) >= (row["latency_p50_ms"] as? Double ?? 0))
        }
    }

    @Test func truncatingIntermediateFailsTheRun() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let originPort = freePort()
        let origin = Process()
        origin.executableURL = URL(fileURLWithPath: CommandRunner.odbRedirect)
        origin.arguments = ["origin", "--listen", "127.0.0.1:\(originPort)"]
        try origin.run()
        defer {
            kill(origin.processIdentifier, SIGKILL)
            origin.waitUntilExit()
        }
        #expect(waitForPort(originPort))
        let proxy = try TruncatingProxy(upstreamPort: originPort)
        #expect(waitForPort(proxy.port))

        let result = try CommandRunner.odb(
            "bench", "--modes", "direct,external", "--external-proxy", "127.0.0.1:\(proxy.port)",
            "--origin", "127.0.0.1:\(originPort)", "--sizes", "64KiB", "--concurrency", "2",
            "--duration", "1", "--repetitions", "1", "--output", directory)
        #expect(result.status != 0)
        #expect(result.stderr.contains("configuration(s) failed"))
        let rows = try Self.rows(directory)
        let external = try #require(rows.first { $0["mode"] as? String == "external" })
        let direct = try #require(rows.first { $0["mode"] as? String == "direct" })
        #expect(external["failed"] as? Bool == true)
        #expect((external["reason"] as? String ?? "").contains("short body"), "\(external["reason"] ?? "")")
        #expect(direct["failed"] as? Bool == false, "the honest path still passes: \(direct["reason"] ?? "")")
    }
}

/// One samples.json row of a virtual mode, with the checks the virtual-chain tests make on it;
/// a failed check names the row by mode and chain length.
struct VirtualRow {
    let fields: [String: Any]

    var name: String { "\(fields["mode"] ?? "?") ×\(fields["chain"] ?? "?")" }
    var mode: String? { fields["mode"] as? String }
    var chain: Int? { fields["chain"] as? Int }
    var requests: Int { count("requests") ?? 0 }

    func count(_ key: String) -> Int? { fields[key] as? Int }

    /// The row passed its body checks, and none of its claims failed.
    func expectPassedWithoutFailedClaims(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(fields["failed"] as? Bool == false, "\(name): \(fields["reason"] ?? "")", sourceLocation: sourceLocation)
        #expect(count("virtual_failed_claims") == 0, "\(name)", sourceLocation: sourceLocation)
    }

    func expect(_ key: String, is value: Int, _ why: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(count(key) == value, "\(name)\(why.map { ": " + $0 } ?? "")", sourceLocation: sourceLocation)
    }

    func expect(_ key: String, atLeast least: Int, _ why: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect((count(key) ?? 0) >= least, "\(name): \(why)", sourceLocation: sourceLocation)
    }

    /// Body bytes all relays carried per body byte served, strictly between the bounds.
    func expectHops(above lower: Double, below upper: Double, sourceLocation: SourceLocation = #_sourceLocation) {
        let hops = fields["body_hops_per_request"] as? Double ?? 0
        #expect(hops > lower && hops < upper, "\(name): body hops \(hops)", sourceLocation: sourceLocation)
    }
}

/// A python3 proxy that forwards one request per connection and passes on only half the body.
final class TruncatingProxy {
    let port = freePort()
    private let process = Process()

    init(upstreamPort: Int) throws {
        let script = """
            import socket, threading
            def serve(client):
                try:
                    request = b""
                    while b"\\r\\n\\r\\n" not in request:
                        data = client.recv(65536)
                        if not data: return
                        request += data
                    upstream = socket.create_connection(("127.0.0.1", \(upstreamPort)))
                    upstream.sendall(request)
                    response = b""
                    while True:
                        data = upstream.recv(65536)
                        if not data: break
                        response += data
                        head, _, body = response.partition(b"\\r\\n\\r\\n")
                        length = [int(l.split(b":")[1]) for l in head.split(b"\\r\\n") if l.lower().startswith(b"content-length")]
                        if length and len(body) >= length[0]: break
                    head, _, body = response.partition(b"\\r\\n\\r\\n")
                    client.sendall(head + b"\\r\\n\\r\\n" + body[: len(body) // 2])
                finally:
                    client.close()
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", \(port)))
            listener.listen(64)
            while True:
                connection, _ = listener.accept()
                threading.Thread(target=serve, args=(connection,), daemon=True).start()
            """
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        try process.run()
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
