import Glibc

/// Why the kernel side could not be set up or read, with the fix a user needs.
public enum KernelError: Error, Equatable, CustomStringConvertible {
    /// The process lacks a capability the operation needs.
    case missingCapability(String, operation: String)
    /// The pin directory is not on a bpf filesystem.
    case bpffsNotMounted(path: String)
    /// An existing pin directory someone else could change.
    case untrustedPinDirectory(path: String, reason: String)
    /// The cgroup path does not exist or is not a cgroup v2 directory.
    case notCgroupV2(path: String, detail: String)
    /// The cgroup is the top of a cgroup2 hierarchy: hooking it tracks every process under it.
    case rootCgroup(path: String)
    /// The relay could not make or enter a cgroup of its own below the one it started in.
    case ownCgroupRefused(path: String, errno: Int32)
    /// The running kernel rejected something the programs rely on.
    case kernelFeatureMissing(feature: String, errno: Int32)
    /// Nothing is pinned under the pin directory.
    case notAttached(pinDirectory: String)
    /// Pinned maps were made by an incompatible build.
    case abiMismatch(pinned: UInt32, expected: UInt32, pinDirectory: String)
    /// A system or libbpf call failed.
    case system(operation: String, errno: Int32)

    public var description: String {
        switch self {
        case let .missingCapability(capability, operation):
            return "\(operation) needs \(capability): run as root or grant it "
                + "(e.g. AmbientCapabilities=\(capability) in a systemd unit)"
        case let .bpffsNotMounted(path):
            return "\(path) is not on a bpf filesystem: mount one with "
                + "'mount -t bpf -o mode=0700 bpf /sys/fs/bpf' or pass --pin with a directory under bpffs"
        case let .untrustedPinDirectory(path, reason):
            return "refusing to pin under \(path): \(reason); remove it, or create it with "
                + "'install -d -m 0700 \(path)' as the user that runs odb-redirect"
        case let .notCgroupV2(path, detail):
            return "\(path) is not a cgroup v2 directory (\(detail)); "
                + "pass a directory under the cgroup2 mount (see 'mount -t cgroup2')"
        case let .rootCgroup(path):
            return "refusing to hook \(path): it is the root cgroup, so every TCP socket on the host "
                + "would be tracked; attach a cgroup that holds only the relays "
                + "(e.g. 'mkdir \(path)/odb-relays' and move them into its cgroup.procs), "
                + "or start the relay without attach and it hooks a cgroup of its own"
        case let .ownCgroupRefused(path, errno):
            return "the relay cannot move into a cgroup of its own at \(path) (\(String(cString: strerror(errno)))): "
                + "run it as root, delegate its cgroup to its user (systemd: Delegate=yes), "
                + "or hook a cgroup it runs in with 'odb-redirect attach --cgroup PATH' first"
        case let .kernelFeatureMissing(feature, errno):
            return "the kernel does not support \(feature) (\(String(cString: strerror(errno)))); "
                + "odb-redirect needs Linux 6.2 or newer with CONFIG_BPF_STREAM_PARSER and BTF"
        case let .notAttached(pinDirectory):
            return "nothing is attached: no odb-redirect objects under \(pinDirectory) "
                + "(run 'odb-redirect attach --cgroup PATH' or start a relay)"
        case let .abiMismatch(pinned, expected, pinDirectory):
            return "objects under \(pinDirectory) have map layout version \(pinned), this build "
                + "needs \(expected): run 'odb-redirect detach' and attach again"
        case let .system(operation, errno):
            return "\(operation) failed: \(String(cString: strerror(errno)))"
        }
    }

    /// Maps a failed call's errno to the error a user can act on.
    static func fromErrno(_ errno: Int32, operation: String, privileged: String = "CAP_BPF") -> KernelError {
        switch errno {
        case EPERM, EACCES:
            return .missingCapability(privileged, operation: operation)
        default:
            return .system(operation: operation, errno: errno)
        }
    }
}
