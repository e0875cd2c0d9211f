import Foundation
import Glibc
import ODBTestSupport
import Testing
@testable import ODBKernel

/// Pin directories someone else could change are refused, and `detach` never follows a link.
@Suite(.serialized) struct PinDirectoryTrustTests {
    private static let nobody: uid_t = 65534

    private func attach(_ fixture: KernelFixture) throws -> CommandResult {
        try CommandRunner.odb("attach", "--cgroup", fixture.cgroupPath, "--pin", fixture.pinDirectory)
    }

    @Test func attachRefusesADirectoryAnotherUserOwns() throws {
        let fixture = try KernelFixture()
        #expect(mkdir(fixture.pinDirectory, 0o700) == 0)
        #expect(chown(fixture.pinDirectory, Self.nobody, Self.nobody) == 0)
        let result = try attach(fixture)
        #expect(result.status != 0)
        #expect(result.stderr.contains("refusing to pin under \(fixture.pinDirectory)"), "\(result.stderr)")
        #expect(result.stderr.contains("owned by uid \(Self.nobody)"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.pinDirectory).isEmpty, "nothing was pinned")
    }

    @Test func attachRefusesADirectoryOthersMayWriteTo() throws {
        let fixture = try KernelFixture()
        #expect(mkdir(fixture.pinDirectory, 0o700) == 0)
        #expect(chmod(fixture.pinDirectory, 0o1777) == 0)
        let result = try attach(fixture)
        #expect(result.status != 0)
        #expect(result.stderr.contains("its mode is 1777"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.pinDirectory).isEmpty, "nothing was pinned")
    }

    @Test func attachRefusesASymbolicLink() throws {
        let target = try KernelFixture()
        #expect(try attach(target).status == 0)
        let fixture = try KernelFixture()
        #expect(symlink(target.pinDirectory, fixture.pinDirectory) == 0)
        defer { unlink(fixture.pinDirectory) }
        let result = try attach(fixture)
        #expect(result.status != 0)
        #expect(result.stderr.contains("it is a symbolic link"), "\(result.stderr)")
    }

    @Test func detachDoesNotFollowALinkToAnotherPinSet() throws {
        let victim = try KernelFixture()
        #expect(try attach(victim).status == 0)
        let pinned = try FileManager.default.contentsOfDirectory(atPath: victim.pinDirectory).sorted()
        #expect(pinned.count > KernelObjects.Pin.maps.count, "maps, programs and the cgroup link are pinned")

        let fixture = try KernelFixture()
        #expect(try attach(fixture).status == 0)
        #expect(symlink(victim.pinDirectory, fixture.pinDirectory + "/relay-1") == 0)
        let detach = try CommandRunner.odb("detach", "--pin", fixture.pinDirectory)
        #expect(detach.status == 0, "\(detach.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.pinDirectory))
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim.pinDirectory).sorted() == pinned,
                "the linked pin set is untouched")

        let linkedRoot = try KernelFixture()
        #expect(symlink(victim.pinDirectory, linkedRoot.pinDirectory) == 0)
        defer { unlink(linkedRoot.pinDirectory) }
        let refused = try CommandRunner.odb("detach", "--pin", linkedRoot.pinDirectory)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("it is a symbolic link"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim.pinDirectory).sorted() == pinned)
    }

    /// tools/mount-bpffs.sh mounts only on /sys/fs/bpf or a fresh empty directory: /, /tmp,
    /// system directories, a non-empty directory, a link and a missing argument are refused
    /// (checked with --dry-run, so that a wrong answer could not mount anything either).
    @Test func mountScriptRefusesAnythingButBpffsOrAFreshDirectory() throws {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let script = packageRoot + "/tools/mount-bpffs.sh"
        let link = packageRoot + "/.build/odb-test-link-to-tmp-\(getpid())"
        #expect(symlink("/tmp", link) == 0)
        defer { unlink(link) }
        let targets = ["/", "/tmp", "/etc", "/usr/lib", "/sys", "/run/odb", packageRoot + "/Sources", link]
        func mountsOnTargets() throws -> [String] {
            try String(contentsOfFile: "/proc/mounts", encoding: .utf8).split(separator: "\n").map(String.init).filter { line in
                let fields = line.split(separator: " ")
                return fields.count > 1 && (targets + ["/sys/fs/bpf"]).contains(String(fields[1]))
            }
        }
        let mountsBefore = try mountsOnTargets()
        for target in targets {
            let result = try CommandRunner.run(script, ["--dry-run", target])
            #expect(result.status == 1, "\(target): \(result.stderr)")
            #expect(result.stderr.contains("refusing"), "\(target): \(result.stderr)")
        }
        for arguments in [["--dry-run"], ["--dry-run", ""], ["--dry-run", "/a", "/b"]] {
            let result = try CommandRunner.run(script, arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
        }
        let bpffs = try CommandRunner.run(script, ["--dry-run", "/sys/fs/bpf"])
        #expect(bpffs.status == 0, "\(bpffs.stderr)")
        #expect(try mountsOnTargets() == mountsBefore, "nothing was mounted on them")
    }
}
