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

        @Test func killedRelayLeavesPinsThatStatusShowsAndDetachRemoves() throws {
            let origin = try NginxOrigin(fileSizes: [1000])
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], mode: "kernel")
            let pid = relay.pid
            relay.kill()
            let status = try CommandRunner.odb("status", "--json", "--pin", relay.pinRoot)
            #expect(status.status == 0)
            #expect(status.stdout.contains("\"owner_pid\" : \(pid)"))
            #expect(status.stdout.contains("\"owner_alive\" : false"))
            let detach = try CommandRunner.odb("detach", "--pin", relay.pinRoot)
            #expect(detach.status == 0)
            #expect(!FileManager.default.fileExists(atPath: relay.pinRoot))
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
