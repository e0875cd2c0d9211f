import Foundation
import ODBTestSupport
import Testing
@testable import ODBKernel

/// `attach`, `status` and `detach` end to end, through the real binary, maps and cgroups.
@Suite(.serialized) struct AttachCommandTests {
    /// A process in the cgroup makes a loopback connection and keeps it open for a while.
    private static let connectInCgroup = """
        import socket, sys, time
        server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen()
        client = socket.create_connection(server.getsockname()); peer, _ = server.accept()
        print(client.getsockname()[1], flush=True); time.sleep(30)
        """

    private func status(_ fixture: KernelFixture) throws -> [String: Any] {
        let result = try CommandRunner.odb("status", "--json", "--pin", fixture.pinDirectory)
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
    }

    private func sockets(_ report: [String: Any]) -> [[String: Any]] {
        let sets = report["sets"] as? [[String: Any]] ?? []
        return sets.flatMap { $0["sockets"] as? [[String: Any]] ?? [] }
    }

    @Test func attachTracksOnlyTheCgroupAndDetachRemovesEverything() throws {
        let fixture = try KernelFixture()
        let attach = try CommandRunner.odb("attach", "--cgroup", fixture.cgroupPath, "--pin", fixture.pinDirectory)
        #expect(attach.status == 0, "\(attach.stderr)")
        #expect(attach.stdout.contains("attached to \(fixture.cgroupPath)"))
        let again = try CommandRunner.odb("attach", "--cgroup", fixture.cgroupPath, "--pin", fixture.pinDirectory)
        #expect(again.status == 0)
        #expect(again.stdout.contains("already attached"))

        // A connection of this test process, outside the cgroup.
        let outside = try LoopbackPair()
        let child = try fixture.spawnInCgroup(python: Self.connectInCgroup)
        defer { child.terminate(); child.waitUntilExit() }
        let port = try #require(Int(KernelFixture.readLine((child.standardOutput as! Pipe).fileHandleForReading)))

        let report = try status(fixture)
        let tracked = sockets(report)
        let inside = tracked.filter { ($0["local"] as? String)?.hasSuffix(":\(port)") ?? false }
        #expect(inside.count == 1, "client socket of the cgroup process is tracked: \(tracked)")
        #expect(inside.first?["family"] as? String == "ipv4", "\(inside)")
        #expect((inside.first?["age_seconds"] as? Double ?? -1) >= 0, "its handshake's time is recorded: \(inside)")
        #expect(tracked.contains { ($0["remote"] as? String)?.hasSuffix(":\(port)") ?? false },
                "the accepted side is tracked too")
        #expect(!tracked.contains { ($0["local"] as? String)?.hasSuffix(":\(outside.clientPort)") ?? false },
                "a socket outside the cgroup must not be tracked")
        let sets = report["sets"] as? [[String: Any]] ?? []
        let attachments = sets.first?["attachments"] as? [[String: Any]] ?? []
        #expect(attachments.first?["path"] as? String == fixture.cgroupPath)
        let programs = (sets.first?["programs"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(Set(programs) == ["odb_sockops", "odb_verdict"])
        let ids = (sets.first?["programs"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
        let mapIDs = try KernelFixture.pinnedMapIDs(fixture.pinDirectory)
        #expect(mapIDs.count == KernelObjects.Pin.maps.count)

        let table = try CommandRunner.odb("status", "--pin", fixture.pinDirectory)
        #expect(table.stdout.contains("tracked sockets:"))
        #expect(table.stdout.contains(":\(port)"))

        let detach = try CommandRunner.odb("detach", "--pin", fixture.pinDirectory)
        #expect(detach.status == 0, "\(detach.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.pinDirectory))
        // bpffs drops an unpinned object's reference after an RCU grace period.
        #expect(eventually {
            (try? CgroupHooks.programIDs(fixture.cgroupPath).isEmpty) == true
        }, "the cgroup still has odb_sockops attached after detach")
        #expect(eventually { ids.allSatisfy { !KernelFixture.bpftoolKnows("prog", id: $0) } },
                "programs \(ids) are still loaded after detach")
        #expect(eventually { mapIDs.allSatisfy { !KernelFixture.bpftoolKnows("map", id: $0) } },
                "maps \(mapIDs) still exist after detach")
        let after = try CommandRunner.odb("status", "--pin", fixture.pinDirectory)
        #expect(after.status != 0)
        #expect(after.stderr.contains("nothing is attached"))
    }

    @Test func errorsNameTheFix() throws {
        let fixture = try KernelFixture()
        let missing = try CommandRunner.odb("attach", "--cgroup", "/nonexistent-cgroup", "--pin", fixture.pinDirectory)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("/nonexistent-cgroup is not a cgroup v2 directory"))
        #expect(!FileManager.default.fileExists(atPath: fixture.pinDirectory), "a failed attach pins nothing")

        let notCgroup = try CommandRunner.odb("attach", "--cgroup", "/tmp", "--pin", fixture.pinDirectory)
        #expect(notCgroup.status != 0)
        #expect(notCgroup.stderr.contains("not on a cgroup2 filesystem"))

        let noBpffs = try CommandRunner.odb("attach", "--cgroup", fixture.cgroupPath, "--pin", "/tmp/odb-not-bpffs/x")
        #expect(noBpffs.status != 0)
        #expect(noBpffs.stderr.contains("mount -t bpf -o mode=0700 bpf /sys/fs/bpf"), "the fix closes bpffs to other users")

        let noBPF = try CommandRunner.run("/usr/bin/setpriv", [
            "--bounding-set", "-bpf,-sys_admin,-perfmon", "--inh-caps", "-all", "--",
            CommandRunner.odbRedirect, "attach", "--cgroup", fixture.cgroupPath, "--pin", fixture.pinDirectory,
        ])
        #expect(noBPF.status != 0)
        #expect(noBPF.stderr.contains("needs CAP_BPF"))

        let noNetAdmin = try CommandRunner.run("/usr/bin/setpriv", [
            "--bounding-set", "-net_admin,-sys_admin", "--inh-caps", "-all", "--",
            CommandRunner.odbRedirect, "attach", "--cgroup", fixture.cgroupPath, "--pin", fixture.pinDirectory,
        ])
        #expect(noNetAdmin.status != 0)
        #expect(noNetAdmin.stderr.contains("needs CAP_NET_ADMIN"))

        let watch = try CommandRunner.odb("status", "--watch", "0", "--pin", fixture.pinDirectory)
        #expect(watch.status != 0)
        #expect(watch.stderr.contains("--watch needs a positive number"))
    }

    /// The root cgroup's hook would track every socket on the host, other users' included.
    @Test func attachRefusesTheRootCgroup() throws {
        let fixture = try KernelFixture()
        let mount = try #require(Filesystems.cgroup2MountPoint())
        let root = try CommandRunner.odb("attach", "--cgroup", mount, "--pin", fixture.pinDirectory)
        #expect(root.status != 0)
        #expect(root.stderr.contains("refusing to hook \(mount): it is the root cgroup"), "\(root.stderr)")
        #expect(root.stderr.contains("start the relay without attach"), "the error names the fix")
        #expect(!FileManager.default.fileExists(atPath: fixture.pinDirectory), "a refused attach pins nothing")
        let objects = try KernelObjects.openOrLoad(pinDirectory: fixture.pinDirectory)
        #expect(throws: KernelError.rootCgroup(path: mount)) {
            try CgroupAttachment.attach(objects, cgroupPath: mount)
        }
        #expect(try KernelFixture.pinnedMapIDs(fixture.pinDirectory).count == KernelObjects.Pin.maps.count)
        let programs = try #require(StatusSnapshot.read(objects).programs.first { $0.name == "odb_sockops" })
        #expect(try !CgroupHooks.programIDs(mount).contains(Int(programs.id)), "the root cgroup is not hooked")
    }

    @Test func kernelFeatureErrorNamesTheFeature() {
        let error = KernelError.kernelFeatureMissing(feature: "sk_skb verdict programs on a SOCKHASH", errno: EINVAL)
        #expect(error.description.contains("does not support sk_skb verdict programs"))
        #expect(error.description.contains("Linux 6.2"))
    }
}
