import Foundation
import Glibc
import ODBTestSupport
import Testing

extension RelayTests {
    /// What a relay leaves in the kernel when it starts, stops and dies.
    @Suite struct Lifecycle {
        @Test func relayWithoutAttachPinsItsOwnSetAndRemovesItOnExit() throws {
            let origin = try NginxOrigin(fileSizes: [1000])
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel))
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
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel))
            let pid = relay.pid
            let client = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            defer { client.close() }
            try client.send("GET /files/\(size).bin HTTP/1.1\r\nHost: test\r\n\r\n")
            var received = [UInt8](repeating: 0, count: 4 << 20)
            #expect(recv(client.fd, &received, received.count, Int32(MSG_WAITALL)) == received.count)
            // The body is in the kernel.
            try relay.waitForCounter("active_flows") { $0 >= 1 }
            relay.kill()
            var drained = [UInt8](repeating: 0, count: 1 << 20)
            var total = received.count
            while case let count = recv(client.fd, &drained, drained.count, 0), count > 0 { total += count }
            #expect(total < size, "the client sees the connection end before the whole body")
            #expect(try relay.kernelFlows()?.isEmpty == false, "the dead relay's flow is left in the map, where status shows it")
            let status = try CommandRunner.odb("status", "--json", "--pin", relay.pinRoot)
            #expect(status.status == 0)
            #expect(status.stdout.contains("\"owner_pid\" : \(pid)"))
            #expect(status.stdout.contains("\"owner_alive\" : false"))
            #expect(status.stdout.contains("\"alive\" : false"))
            let detach = try CommandRunner.odb("detach", "--pin", relay.pinRoot)
            #expect(detach.status == 0)
            #expect(!FileManager.default.fileExists(atPath: relay.pinRoot))
            let restarted = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel), pinRoot: relay.pinRoot)
            let next = try TestHTTPClient(port: restarted.port, receiveTimeout: 10)
            defer { next.close() }
            #expect(try next.get("/files/1000.bin").status == 200, "a restarted relay serves")
            #expect(restarted.stopsGracefully())
        }

        /// The private set of the relay `pid`, from `status --json`: its sock_ops program's id
        /// and the cgroup it hooks.
        private func privateSet(pinRoot: String, pid: Int32) throws -> (programID: Int, cgroup: String) {
            let status = try CommandRunner.odb("status", "--json", "--pin", pinRoot)
            let report = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any] ?? [:]
            let sets = report["sets"] as? [[String: Any]] ?? []
            let own = try #require(sets.first { $0["pin_directory"] as? String == "\(pinRoot)/relay-\(pid)" }, "\(status.stdout)")
            let programs = own["programs"] as? [[String: Any]] ?? []
            let programID = try #require(programs.first { $0["name"] as? String == "odb_sockops" }?["id"] as? Int)
            let attachments = own["attachments"] as? [[String: Any]] ?? []
            let cgroup = try #require(attachments.first { $0["owner_pid"] as? Int == Int(pid) }?["path"] as? String)
            return (programID, cgroup)
        }

        /// SIGKILL ends the relay's hook with the process; the next relay on the same pin root
        /// removes the dead relay's set and cgroup, and leaves nothing of its own at exit.
        @Test func killedRelayLeavesNoHookAndTheNextStartRemovesWhatItLeft() throws {
            let origin = try NginxOrigin(fileSizes: [1000])
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel))
            let pid = relay.pid
            let killed = try privateSet(pinRoot: relay.pinRoot, pid: pid)
            #expect(try CgroupHooks.programIDs(killed.cgroup).contains(killed.programID), "a running relay hooks its cgroup")
            relay.kill()
            // The kernel releases the link when the dead process's descriptors are closed.
            #expect(eventually { (try? CgroupHooks.programIDs(killed.cgroup).contains(killed.programID)) == false },
                    "odb_sockops \(killed.programID) is still attached to \(killed.cgroup) after SIGKILL")
            let deadSet = "\(relay.pinRoot)/relay-\(pid)"
            #expect(FileManager.default.fileExists(atPath: deadSet + "/odb_counters"), "the dead relay's maps stay pinned for status")

            let restarted = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel), pinRoot: relay.pinRoot)
            #expect(!FileManager.default.fileExists(atPath: deadSet), "a starting relay removes a dead relay's set")
            #expect(!FileManager.default.fileExists(atPath: killed.cgroup), "and the cgroup the dead relay made")
            let status = try CommandRunner.odb("status", "--json", "--pin", relay.pinRoot)
            #expect(!status.stdout.contains("\"owner_pid\" : \(pid)"), "\(status.stdout)")
            let next = try privateSet(pinRoot: relay.pinRoot, pid: restarted.pid)
            let client = try TestHTTPClient(port: restarted.port, receiveTimeout: 10)
            defer { client.close() }
            #expect(try client.get("/files/1000.bin").status == 200, "a restarted relay serves")
            #expect(restarted.stopsGracefully())
            #expect(!FileManager.default.fileExists(atPath: next.cgroup), "a relay removes its own cgroup at exit")
            #expect(!FileManager.default.fileExists(atPath: relay.pinRoot))
        }

        /// A relay started in the root cgroup moves into a cgroup of its own and hooks only
        /// that: the root cgroup's hook would track every socket on the host.
        @Test func relayStartedInTheRootCgroupHooksOnlyItsOwn() throws {
            let mount = try CgroupHooks.mountPoint()
            let origin = try NginxOrigin(fileSizes: [1 << 20])
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel),
                                         launcher: CgroupHooks.launcher(joining: mount))
            let own = try privateSet(pinRoot: relay.pinRoot, pid: relay.pid)
            #expect(try CgroupHooks.cgroup(of: relay.pid) == "\(mount)/odb-redirect-relay-\(relay.pid)")
            #expect(own.cgroup == "\(mount)/odb-redirect-relay-\(relay.pid)")
            #expect(try !CgroupHooks.programIDs(mount).contains(own.programID), "the relay hooked the root cgroup")
            #expect(try CgroupHooks.programIDs(own.cgroup) == [own.programID])
            let client = try TestHTTPClient(port: relay.port, receiveTimeout: 10)
            defer { client.close() }
            let response = try client.get("/files/\(1 << 20).bin")
            #expect(response.status == 200)
            #expect(response.body.count == 1 << 20)
            // The body went through the kernel.
            try relay.waitForCounter("kernel", in: "body_bytes") { $0 > 0 }
            #expect(relay.stopsGracefully())
            #expect(!FileManager.default.fileExists(atPath: own.cgroup))
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
            let checked = try CommandRunner.odb("relay", "--config", path, "--check-config")
            #expect(checked.status != 0)
            #expect(checked.stderr.contains("\(path):7:"), "\(checked.stderr)")
        }

        /// `--check-config` loads the file and exits: it binds nothing, so a listener whose port
        /// another socket holds does not fail it.
        @Test func checkConfigLoadsTheFileAndStartsNothing() throws {
            let holder = try #require(loopbackListener())
            defer { close(holder.fd) }
            let path = NSTemporaryDirectory() + "odb-check-\(getpid()).yaml"
            try """
                workers: 3
                listeners:
                  - listen: "127.0.0.1:\(holder.port)"
                    routes:
                      - path_prefix: /a
                        upstream: origin
                      - upstream: origin
                upstreams:
                  origin:
                    servers: ["127.0.0.1:1"]

                """.write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let result = try CommandRunner.odb("relay", "--config", path, "--check-config")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("\(path): configuration OK: 1 listener, 2 routes, 1 upstream, 3 workers"),
                    "\(result.stdout)")
        }
    }
}
