import Foundation
import Glibc

/// A cgroup v2 holding one relay process and nothing else, so that a relay hooking its own
/// cgroup tracks only its own sockets, whichever cgroup it was started in (the root one
/// included).
///
/// It is `odb-redirect-relay-<pid>` below the cgroup the relay started in, which keeps a
/// service manager's view of the process: stopping the service still stops the relay.
public struct RelayCgroup: Sendable {
    static let namePrefix = "odb-redirect-relay-"

    public let path: String
    /// The cgroup the relay started in, where it returns before removing its own.
    public let parent: String

    private init(path: String, parent: String) {
        self.path = path
        self.parent = parent
    }

    /// Creates the relay's cgroup and moves this whole process (every thread) into it.
    public static func enter(pid: Int32) throws(KernelError) -> RelayCgroup {
        let parent = try Filesystems.ownCgroupDirectory()
        let path = parent + "/" + namePrefix + String(pid)
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw .ownCgroupRefused(path: path, errno: errno)
        }
        let cgroup = RelayCgroup(path: path, parent: parent)
        guard move(pid, into: path) else {
            let error = errno
            rmdir(path)
            throw .ownCgroupRefused(path: path, errno: error)
        }
        return cgroup
    }

    /// Moves the process back to where it started and removes its cgroup; false when either
    /// step was refused (a relay that switched user may not write to the parent), which
    /// leaves an empty cgroup for the next relay start to remove.
    public func leave(pid: Int32) -> Bool {
        RelayCgroup.move(pid, into: parent) && rmdir(path) == 0
    }

    /// Removes the cgroups of relays that died in `parent` (the cgroup this relay started in).
    /// - Returns: the cgroups removed.
    public static func removeLeftovers(in parent: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        return names.compactMap { name in
            guard name.hasPrefix(namePrefix), let pid = UInt32(name.dropFirst(namePrefix.count)),
                  !StatusSnapshot.processAlive(pid) else { return nil }
            let path = parent + "/" + name
            // rmdir refuses a cgroup that still has processes or children, which are left alone.
            return rmdir(path) == 0 ? path : nil
        }
    }

    private static func move(_ pid: Int32, into cgroup: String) -> Bool {
        let fd = open(cgroup + "/cgroup.procs", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let text = Array(String(pid).utf8)
        return write(fd, text, text.count) == text.count
    }
}
