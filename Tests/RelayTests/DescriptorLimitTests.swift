import Foundation
import Glibc
import ODBTestSupport
import Testing

extension RelayTests {
    /// The relay lives within its file-descriptor limit: it admits what the limit carries, and
    /// out of descriptors it answers 503, logs, and rests instead of spinning on a readable
    /// listener. Kernel mode, so that `status` shows the relay's counters.
    @Suite(.serialized) struct DescriptorLimits {
        private static func relay(origin: NginxOrigin, launcher: [String] = []) throws -> RelayProcess {
            try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel), workers: 1, launcher: launcher)
        }

        private static func openDescriptors(_ pid: Int32) -> Int {
            (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
        }

        @Test func maxConnectionsIsCappedByTheDescriptorLimit() throws {
            let origin = try NginxOrigin(fileSizes: [100])
            let relay = try Self.relay(origin: origin, launcher: ["/usr/bin/prlimit", "--nofile=256:256", "--"])
            #expect(relay.waitForLog("admitting fewer"), "\(relay.log)")
            #expect(relay.log.contains("admitted: 32") || relay.log.contains("admitted=32"), "\(relay.log)")
            let admitted = try (0..<32).map { _ in try TestHTTPClient(port: relay.port, receiveTimeout: 10) }
            defer { admitted.forEach { $0.close() } }
            try relay.waitForCounter("active_connections") { $0 == 32 }
            let refused = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            defer { refused.close() }
            #expect(try refused.readResponse().status == 503)
            #expect(try admitted[0].get("/files/100.bin").status == 200, "admitted clients are served")
        }

        @Test func outOfDescriptorsAnswers503WithoutSpinningAndRecovers() throws {
            let origin = try NginxOrigin(fileSizes: [100])
            let relay = try Self.relay(origin: origin)
            // Room for a few more connections than are open now; the admission cap, computed
            // at start from the raised limit, no longer protects the relay.
            let limit = Self.openDescriptors(relay.pid) + 4
            let lowered = try CommandRunner.run("/usr/bin/prlimit", ["--pid", "\(relay.pid)", "--nofile=\(limit):\(limit)"])
            #expect(lowered.status == 0, "\(lowered.stderr)")

            do {
                // Every client stays connected, so descriptors do not come free between them.
                var clients = [TestHTTPClient]()
                defer { clients.forEach { $0.close() } }
                for _ in 0..<16 { clients.append(try TestHTTPClient(port: relay.port, receiveTimeout: 3)) }
                let answered503 = clients.filter { (try? $0.readResponse().status) == 503 }.count
                #expect(answered503 >= 8, "clients past the descriptor limit are answered 503: \(answered503) of 16")
                #expect(relay.waitForLog("out of file descriptors"), "\(relay.log)")
                // Status counts the refusals.
                try relay.waitForCounter("refused_connections") { $0 >= answered503 }

                // Clients left waiting in the backlog keep the listener readable; the relay must not spin on it.
                let waiting = try (0..<20).map { _ in try TestHTTPClient(port: relay.port, receiveTimeout: 10) }
                defer { waiting.forEach { $0.close() } }
                let before = cpuSeconds(pid: relay.pid)
                let start = Date()
                usleep(2_000_000)  // the interval measured: the relay rests, out of descriptors
                let share = (cpuSeconds(pid: relay.pid) - before) / Date().timeIntervalSince(start)
                #expect(share < 0.25, "the relay used \(Int(share * 100)) % of a CPU while out of descriptors")
                #expect(relay.process.isRunning, "the relay runs on: \(relay.process.isRunning ? 0 : relay.process.terminationStatus) \(relay.process.isRunning ? "" : "\(relay.process.terminationReason.rawValue)")")
            }
            try waitUntil("clients served with descriptors free again", poll: 0.1) {
                let client = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
                defer { client.close() }
                return (try? client.get("/files/100.bin").status) == 200
            }
        }
    }
}
