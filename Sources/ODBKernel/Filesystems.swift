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

    /// Ensures `directory` exists on bpffs, creating it (and parents on bpffs) when missing.
    public static func preparePinDirectory(_ directory: String) throws(KernelError) {
        let parent = (directory as NSString).deletingLastPathComponent
        let existing = FileManager.default.fileExists(atPath: directory) ? directory : parent
        guard magic(of: existing) == bpfMagic else {
            throw .bpffsNotMounted(path: existing)
        }
        if existing != directory {
            if mkdir(directory, 0o700) != 0 && errno != EEXIST {
                throw KernelError.fromErrno(errno, operation: "creating \(directory)")
            }
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
