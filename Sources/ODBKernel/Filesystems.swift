import CLibBPF
import Foundation
import Glibc

/// Checks on the two kernel filesystems the programs live in: bpffs for pins, cgroup2 for hooks.
public enum Filesystems {
    static let bpfMagic: Int = 0xcafe4a11
    static let cgroup2Magic: Int = 0x63677270

    static func magic(of path: String) -> Int? {
        var info = statfs()
        guard statfs(path, &info) == 0 else { return nil }
        return Int(info.f_type)
    }

    /// Ensures `directory` exists on bpffs, creating it (mode 0700) when missing, and that an
    /// existing one can be trusted with pins: whoever can write to a pin directory can unpin a
    /// hook or put a pin of their own in place of one the relay opens.
    public static func preparePinDirectory(_ directory: String) throws(KernelError) {
        let parent = (directory as NSString).deletingLastPathComponent
        var info = stat()
        let exists = lstat(directory, &info) == 0
        let existing = exists ? directory : parent
        guard magic(of: existing) == bpfMagic else {
            throw .bpffsNotMounted(path: existing)
        }
        if exists {
            try requireTrusted(directory, info)
        } else if mkdir(directory, 0o700) != 0 {
            guard errno == EEXIST, lstat(directory, &info) == 0 else {
                throw KernelError.fromErrno(errno, operation: "creating \(directory)")
            }
            try requireTrusted(directory, info)
        }
    }

    /// A pin directory is trusted when it is a real directory (not a symbolic link to one),
    /// owned by this process's user and closed to everyone else.
    static func requireTrusted(_ directory: String, _ info: stat) throws(KernelError) {
        let owner = geteuid()
        if (info.st_mode & S_IFMT) == S_IFLNK {
            throw .untrustedPinDirectory(path: directory, reason: "it is a symbolic link")
        }
        if (info.st_mode & S_IFMT) != S_IFDIR {
            throw .untrustedPinDirectory(path: directory, reason: "it is not a directory")
        }
        if info.st_uid != owner {
            throw .untrustedPinDirectory(path: directory, reason: "it is owned by uid \(info.st_uid), not by uid \(owner)")
        }
        if info.st_mode & 0o077 != 0 {
            let mode = String(info.st_mode & 0o7777, radix: 8)
            throw .untrustedPinDirectory(path: directory, reason: "its mode is \(mode): group and others may use it")
        }
    }

    /// True when `directory` is on bpffs and exists.
    public static func isPinDirectory(_ directory: String) -> Bool {
        magic(of: directory) == bpfMagic
    }

    /// Validates a cgroup v2 directory and returns its inode number, the cgroup's id.
    public static func cgroupID(of path: String) throws(KernelError) -> UInt64 {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw .notCgroupV2(path: path, detail: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw .notCgroupV2(path: path, detail: "not a directory")
        }
        guard magic(of: path) == cgroup2Magic else {
            throw .notCgroupV2(path: path, detail: "not on a cgroup2 filesystem")
        }
        return UInt64(info.st_ino)
    }

    /// True when `path` is the top of a cgroup2 mount: the host's root cgroup, or a cgroup
    /// namespace's, whose hook would track every socket of every process below it.
    static func isRootCgroup(_ path: String) -> Bool {
        guard let resolved = realpath(path, nil) else { return false }
        defer { free(resolved) }
        let parent = (String(cString: resolved) as NSString).deletingLastPathComponent
        return magic(of: parent) != cgroup2Magic
    }

    /// The cgroup v2 directory this process belongs to, from /proc/self/cgroup and mountinfo.
    public static func ownCgroupDirectory() throws(KernelError) -> String {
        guard let mount = cgroup2MountPoint() else {
            throw .notCgroupV2(path: "/proc/self/cgroup", detail: "no cgroup2 filesystem is mounted")
        }
        let membership = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        guard let line = membership.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else {
            throw .notCgroupV2(path: "/proc/self/cgroup", detail: "this process has no cgroup v2 membership")
        }
        let relative = String(line.dropFirst(3))
        return relative == "/" ? mount : mount + relative
    }

    /// Where cgroup2 is mounted, from /proc/self/mountinfo (the 5th field of the first cgroup2 line).
    static func cgroup2MountPoint() -> String? {
        guard let mountinfo = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else {
            return nil
        }
        for line in mountinfo.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2, halves[1].hasPrefix("cgroup2 ") else { continue }
            let fields = halves[0].split(separator: " ")
            if fields.count > 4 { return String(fields[4]) }
        }
        return nil
    }
}
