import CLibBPF
import Foundation
import Glibc
import OdbShared

/// Hooks the sock_ops program to cgroups, and removes everything a pin directory holds.
public enum CgroupAttachment {
    public enum Outcome: Equatable, Sendable {
        case attached(cgroupID: UInt64)
        case alreadyAttached(cgroupID: UInt64)
    }

    /// Attaches odb_sockops to the cgroup v2 directory at `cgroupPath` through a pinned bpf_link.
    ///
    /// A link (not a legacy attachment) so that the hook lives exactly as long as its pin, and
    /// so that several pin directories can hook the same cgroup side by side.
    public static func attach(
        _ objects: KernelObjects, cgroupPath: String, ownerPID: UInt32 = 0
    ) throws(KernelError) -> Outcome {
        let cgroupID = try hookableCgroupID(cgroupPath)
        let linkPath = objects.linkPath(cgroupID: cgroupID)
        if FileManager.default.fileExists(atPath: linkPath) {
            try record(objects, cgroupID: cgroupID, path: cgroupPath, ownerPID: ownerPID)
            return .alreadyAttached(cgroupID: cgroupID)
        }
        let linkFD = try link(objects, cgroupPath: cgroupPath)
        defer { close(linkFD) }
        if bpf_obj_pin(linkFD, linkPath) != 0 {
            throw KernelError.fromErrno(errno, operation: "pinning \(linkPath)")
        }
        try record(objects, cgroupID: cgroupID, path: cgroupPath, ownerPID: ownerPID)
        return .attached(cgroupID: cgroupID)
    }

    /// Attaches odb_sockops to `cgroupPath` through a bpf_link that only `ownerPID` holds: the
    /// hook ends when the returned link is released or the process dies, SIGKILL included.
    public static func hold(
        _ objects: KernelObjects, cgroupPath: String, ownerPID: UInt32
    ) throws(KernelError) -> HeldLink {
        let cgroupID = try hookableCgroupID(cgroupPath)
        let linkFD = try link(objects, cgroupPath: cgroupPath)
        do {
            try record(objects, cgroupID: cgroupID, path: cgroupPath, ownerPID: ownerPID)
        } catch {
            close(linkFD)
            throw error
        }
        return HeldLink(objects: objects, cgroupID: cgroupID, fd: linkFD)
    }

    /// The id of a cgroup that may be hooked: any cgroup v2 directory but a hierarchy's root.
    public static func hookableCgroupID(_ cgroupPath: String) throws(KernelError) -> UInt64 {
        let cgroupID = try Filesystems.cgroupID(of: cgroupPath)
        if Filesystems.isRootCgroup(cgroupPath) { throw .rootCgroup(path: cgroupPath) }
        return cgroupID
    }

    /// A new bpf_link hooking odb_sockops to the cgroup; the caller owns the descriptor.
    private static func link(_ objects: KernelObjects, cgroupPath: String) throws(KernelError) -> Int32 {
        let cgroupFD = open(cgroupPath, O_RDONLY | O_DIRECTORY)
        guard cgroupFD >= 0 else {
            throw .notCgroupV2(path: cgroupPath, detail: String(cString: strerror(errno)))
        }
        defer { close(cgroupFD) }
        let linkFD = odb_link_cgroup(objects.sockopsProgramFD, cgroupFD, BPF_CGROUP_SOCK_OPS)
        guard linkFD >= 0 else {
            let error = errno
            if error == EPERM || error == EACCES {
                throw .missingCapability(Capabilities.netAdmin.name, operation: "attaching to \(cgroupPath)")
            }
            throw .kernelFeatureMissing(feature: "bpf_link for cgroup sock_ops programs", errno: error)
        }
        return linkFD
    }

    private static func record(
        _ objects: KernelObjects, cgroupID: UInt64, path: String, ownerPID: UInt32
    ) throws(KernelError) {
        var entry = odb_attachment()
        CString.write(path, into: &entry.path)
        entry.attached_unix_ns = UnixTime.nowNanoseconds()
        entry.owner_pid = ownerPID
        try objects.attachments.update(cgroupID, entry)
    }

    /// Unpins every object under `pinDirectory` (and relay-owned subdirectories) and removes it.
    ///
    /// Symbolic links are never followed (`PinTree`): one inside the directory is removed as
    /// itself, and a pin directory that is one is refused, so a link cannot steer `detach` to
    /// another pin set.
    /// - Returns: the names removed, empty when nothing was pinned.
    @discardableResult
    public static func detachAll(pinDirectory: String) throws(KernelError) -> [String] {
        var info = stat()
        guard lstat(pinDirectory, &info) == 0 else { return [] }
        guard Filesystems.isPinDirectory(pinDirectory) else { throw .bpffsNotMounted(path: pinDirectory) }
        let fd = try PinTree.open(pinDirectory)
        defer { close(fd) }
        let removed = try PinTree.removeContents(of: fd, path: pinDirectory)
        // A pin root that is the top of a bpffs mount of its own stays (EBUSY).
        if rmdir(pinDirectory) != 0 && errno != ENOENT && errno != EBUSY {
            throw KernelError.fromErrno(errno, operation: "removing \(pinDirectory)")
        }
        return removed
    }
}

/// Fixed-size C `char[N]` fields, which Swift imports as tuples.
enum CString {
    static func write<T>(_ string: String, into field: inout T) {
        withUnsafeMutableBytes(of: &field) { raw in
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            let bytes = Array(string.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes)
        }
    }

    static func read<T>(_ field: T) -> String {
        withUnsafeBytes(of: field) { raw in
            let bytes = raw.prefix(while: { $0 != 0 })
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}

extension CgroupAttachment {
    /// A cgroup hook held by this process alone: nothing pins it, so it ends with the process.
    public final class HeldLink: @unchecked Sendable {
        public let cgroupID: UInt64
        private let objects: KernelObjects
        private var fd: Int32

        init(objects: KernelObjects, cgroupID: UInt64, fd: Int32) {
            self.objects = objects
            self.cgroupID = cgroupID
            self.fd = fd
        }

        /// Unhooks the cgroup and forgets its entry in odb_attachments.
        public func release() {
            guard fd >= 0 else { return }
            close(fd)
            fd = -1
            objects.attachments.delete(cgroupID)
        }

        deinit { release() }
    }
}
