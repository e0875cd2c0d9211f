import Foundation
import Glibc
import ODBTestSupport
import Testing

extension RelayTests {
    /// What a relay leaves in the kernel when it starts, stops and dies.
    @Suite struct Lifecycle {
        @Test func relayWithoutAttachPinsItsOwnSetAndRemovesItOnExit() throws {
            let origin = try NginxOrigin(fileSizes: [1000])
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], mode: "kernel")
            let own = "\(relay.pinRoot)/relay-\(relay.pid)"
            #expect(FileManager.default.fileExists(atPath: own + "/prog_odb_verdict"))
            #expect(relay.stopsGracefully(), "SIGTERM stops an idle relay")
            #expect(!FileManager.default.fileExists(atPath: own), "its pins are gone after exit")
        }

        /// SIGKILL while a kernel-mode body is in flight to a slow client: the private pin set
        /// stays, `status` shows it with its owner dead, `detach` removes it, and a relay
        /// started again on the same pin root serves.
        @Test func relayKilledMidTransferLeavesPinsThatStatusShowsAndDetachRemoves() throws {
            let size = 64 << 20
            let origin = try NginxOrigin(fileSizes: [size, 1000])
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], mode: "kernel")
            let pid = relay.pid
            let client = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            defer { client.close() }
            try client.send("GET /files/\(size).bin HTTP/1.1\r\nHost: test\r\n\r\n")
            var received = [UInt8](repeating: 0, count: 4 << 20)
            #expect(recv(client.fd, &received, received.count, Int32(MSG_WAITALL)) == received.count)
            #expect(try ResourceLimits.waitForStatus(relay, "active_flows") { $0 >= 1 } >= 1, "the body is in the kernel")
            relay.kill()
            var drained = [UInt8](repeating: 0, count: 1 << 20)
            var total = received.count
            while case let count = recv(client.fd, &drained, drained.count, 0), count > 0 { total += count }
            #expect(total < size, "the client sees the connection end before the whole body")
            #expect(try relay.kernelFlowCount() >= 1, "the dead relay's flow is left in the map, where status shows it")
            let status = try CommandRunner.odb("status", "--json", "--pin", relay.pinRoot)
            #expect(status.status == 0)
            #expect(status.stdout.contains("\"owner_pid\" : \(pid)"))
            #expect(status.stdout.contains("\"owner_alive\" : false"))
            #expect(status.stdout.contains("\"alive\" : false"))
            let detach = try CommandRunner.odb("detach", "--pin", relay.pinRoot)
            #expect(detach.status == 0)
            #expect(!FileManager.default.fileExists(atPath: relay.pinRoot))
            let restarted = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], mode: "kernel", pinRoot: relay.pinRoot)
            let next = try TestHTTPClient(port: restarted.port, receiveTimeout: 10)
            defer { next.close() }
            #expect(try next.get("/files/1000.bin").status == 200, "a restarted relay serves")
            #expect(restarted.stopsGracefully())
        }

        @Test func badConfigNamesFileLineAndReason() throws {
            let path = NSTemporaryDirectory() + "odb-bad-\(getpid()).yaml"
            try "upstreams:\n  origin:\n    servers: [\"127.0.0.1:1\"]\nlisteners:\n  - listen: \":8080\"\n    routes:\n      - upstream: nowhere\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let result = try CommandRunner.odb("relay", "--config", path)
            #expect(result.status != 0)
            #expect(result.stderr.contains("\(path):7:"), "\(result.stderr)")
            #expect(result.stderr.contains("nowhere"))
        }
    }
}
