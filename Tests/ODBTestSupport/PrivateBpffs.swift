import Foundation
import Glibc

/// A bpffs of the test's own, mounted with mode=0700 on a fresh directory made under the
/// temporary directory, never on /sys/fs/bpf: a test can then show what a relay does on a bpffs
/// closed to everyone but its owner without changing the host's. The temporary directory is
/// where the test user's executable copy lives too, so that user can reach it wherever the
/// checkout sits (a checkout under a directory closed to others would hide a mount made in it).
/// `unmount()` unmounts it (the pins in it go with the mount) and removes the directory.
public final class PrivateBpffs {
    public let mountPoint: String

    /// Mounts it; with `owner`, the top directory is that user's (what an operator gives a relay
    /// started as its own user, which cannot reach anything under a 0700 /sys/fs/bpf).
    public init(owner: SystemUser? = nil) throws {
        let prefix = NSTemporaryDirectory() + "odb-test-bpffs-"
        var template = Array((prefix + "XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw FixtureFailure("mkdtemp \(prefix)XXXXXX: errno \(errno)")
        }
        let path = String(cString: made)
        guard path.hasPrefix(prefix), path.count > prefix.count else {
            throw FixtureFailure("unexpected directory \"\(path)\"")
        }
        let mounted = try CommandRunner.run("/bin/mount", ["-t", "bpf", "-o", "mode=0700", "bpf", path])
        guard mounted.status == 0 else {
            rmdir(path)
            throw FixtureFailure("mount -t bpf \(path): \(mounted.stderr)")
        }
        mountPoint = path
        if let owner, chown(path, owner.uid, owner.gid) != 0 {
            let error = errno
            unmount()
            throw FixtureFailure("chown \(path): errno \(error)")
        }
    }

    /// Detached at once even while a relay still holds a directory of it open; the instance
    /// goes when the last holder does.
    public func unmount() {
        umount2(mountPoint, Int32(MNT_DETACH))
        rmdir(mountPoint)
    }

    /// Every file (pin) below `directory`, relative to it; directories are not listed.
    public static func pins(under directory: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        return walker.compactMap { entry in
            guard let name = entry as? String else { return nil }
            var info = stat()
            guard lstat(directory + "/" + name, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR else { return nil }
            return name
        }
    }
}
