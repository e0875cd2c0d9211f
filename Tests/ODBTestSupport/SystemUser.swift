import Foundation
import Glibc

/// A system account without a home or shell, for running the relay without root.
public struct SystemUser {
    public let name: String
    public let uid: uid_t
    public let gid: gid_t

    /// The account `name`, created (useradd --system) when it does not exist yet.
    public static func ensure(_ name: String = "odb-relay-test") throws -> SystemUser {
        if getpwnam(name) == nil {
            let result = try CommandRunner.run("/usr/sbin/useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name])
            // Another test process may have created it at the same moment.
            guard result.status == 0 || getpwnam(name) != nil else {
                throw FixtureFailure("useradd \(name) failed: \(result.stderr)")
            }
        }
        guard let entry = getpwnam(name) else { throw FixtureFailure("no user \(name)") }
        return SystemUser(name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    /// A copy of the odb-redirect binary this user may execute (the build directory may not
    /// be reachable for it), refreshed on every call and renamed into place, so relays still
    /// running an older copy are not disturbed.
    public func executableCopy() throws -> String {
        let path = NSTemporaryDirectory() + "odb-redirect-for-\(name)"
        let part = path + ".part-\(getpid())"
        try? FileManager.default.removeItem(atPath: part)
        try FileManager.default.copyItem(atPath: CommandRunner.odbRedirect, toPath: part)
        guard chmod(part, 0o755) == 0, rename(part, path) == 0 else {
            throw FixtureFailure("installing \(path): errno \(errno)")
        }
        return path
    }

    /// A new cgroup v2 delegated to this user as systemd's `Delegate=yes` does: the
    /// directory and the files that move processes are the user's. The caller removes it.
    public func delegatedCgroup() throws -> String {
        let path = try CgroupHooks.mountPoint() + "/odb-test-delegated-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard mkdir(path, 0o755) == 0 else {
            throw FixtureFailure("creating \(path): errno \(errno)")
        }
        for file in ["", "/cgroup.procs", "/cgroup.threads", "/cgroup.subtree_control"] where chown(path + file, uid, gid) != 0 {
            throw FixtureFailure("delegating \(path + file): errno \(errno)")
        }
        return path
    }

    /// setpriv arguments that run a command as this user with exactly `capabilities`
    /// (names as setpriv spells them: bpf, perfmon, net_admin) in every set, ambient included.
    public func launcher(capabilities: [String]) -> [String] {
        let list = (["-all"] + capabilities.map { "+" + $0 }).joined(separator: ",")
        return ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(gid)", "--init-groups",
                "--inh-caps=\(list)", "--ambient-caps=\(list)", "--bounding-set=\(list)"]
    }
}
