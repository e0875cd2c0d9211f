import CPrivilegeShims
import Foundation
import Glibc
import ODBKernel

/// Switching from root to the configured user once setup is done, keeping only the
/// capabilities a running relay still uses.
enum PrivilegeDrop {
    /// What a running relay still uses once programs are loaded, maps pinned and listeners
    /// bound (measured on Linux 6.18, docs/OPERATIONS.md): CAP_NET_ADMIN only for socket
    /// buffers past the host's maxima (`SocketBufferCeiling`), and with kernel routes CAP_BPF.
    /// Map updates through the file descriptors it already holds needed no capability there;
    /// CAP_BPF is kept because kernels before 6.5 refuse every bpf() command without it while
    /// unprivileged BPF is disabled (the distribution default).
    static func runtimeCapabilities(kernel: Bool, forcingBuffers: Bool) -> [(bit: Int, name: String)] {
        (kernel ? [Capabilities.bpf] : []) + (forcingBuffers ? [Capabilities.netAdmin] : [])
    }

    /// The identity to switch to.
    struct Identity: Equatable {
        let user: String
        let uid: uid_t
        let gid: gid_t
    }

    /// Looks `user` (and `group`, or else the user's primary group) up in the system databases.
    static func identity(user: String, group: String?) throws(PrivilegeError) -> Identity {
        guard let entry = getpwnam(user) else { throw .unknownUser(user) }
        let uid = entry.pointee.pw_uid
        var gid = entry.pointee.pw_gid
        if let group {
            guard let groupEntry = getgrnam(group) else { throw .unknownGroup(group) }
            gid = groupEntry.pointee.gr_gid
        }
        return Identity(user: user, uid: uid, gid: gid)
    }

    enum Outcome {
        /// Root became the configured user.
        case switched
        /// The process already ran as that user (systemd's `User=` with `AmbientCapabilities=`)
        /// and only gave up the capabilities it no longer needs.
        case alreadyThatUser
    }

    /// Becomes `identity` with exactly `keep` as permitted and effective capabilities.
    ///
    /// `directories` (the relay's own pin set, which it unpins at exit) are handed to the user
    /// first; the pin root stays root's. Must run before any other thread starts.
    static func become(_ identity: Identity, keep: [(bit: Int, name: String)], handingOver directories: [String]) throws(PrivilegeError) -> Outcome {
        let mask = keep.reduce(UInt64(0)) { $0 | (1 << UInt64($1.bit)) }
        var failedStep: UnsafePointer<CChar>?
        if geteuid() == identity.uid && getegid() == identity.gid {
            guard odb_limit_capabilities(mask, &failedStep) == 0 else { throw .failed(step: String(cString: failedStep!), errno: errno) }
            return .alreadyThatUser
        }
        guard geteuid() == 0 else { throw .notRoot(user: identity.user, uid: geteuid()) }
        for directory in directories where chown(directory, identity.uid, identity.gid) != 0 {
            throw .failed(step: "chown \(directory)", errno: errno)
        }
        guard odb_switch_identity(identity.uid, identity.gid, mask, &failedStep) == 0 else {
            throw .failed(step: String(cString: failedStep!), errno: errno)
        }
        return .switched
    }
}

/// Why the relay could not become its configured user.
enum PrivilegeError: Error, CustomStringConvertible {
    case unknownUser(String)
    case unknownGroup(String)
    case notRoot(user: String, uid: uid_t)
    case failed(step: String, errno: Int32)

    var description: String {
        switch self {
        case let .unknownUser(name):
            return "user: no such user \"\(name)\" (create it, e.g. useradd --system \(name))"
        case let .unknownGroup(name):
            return "group: no such group \"\(name)\""
        case let .notRoot(user, uid):
            return "user: switching to \"\(user)\" needs root, but the relay runs as uid \(uid); "
                + "start it as root, or as \(user) with the capabilities granted (systemd: User= and AmbientCapabilities=)"
        case let .failed(step, code):
            return "switching user failed at \(step): \(String(cString: strerror(code)))"
        }
    }
}
