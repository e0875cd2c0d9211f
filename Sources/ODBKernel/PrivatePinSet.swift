import Glibc

/// A relay's private pin set (`<pin root>/relay-<pid>`), held open by descriptor from its start.
///
/// The pin root stays its creator's; only the set is handed to a user the relay switches to.
/// Through the descriptors that user can still unpin the set at exit, although it can neither
/// reach the pin root by path (bpffs mounted 0700 lets nobody but root through) nor remove an
/// entry of a root-owned pin root: the empty set directory then stays, and the next relay
/// start or `detach` removes it with the sets of dead relays (`DeadRelaySets`).
public final class PrivatePinSet: @unchecked Sendable {
    public let directory: String
    private let name: String
    private let rootFD: Int32
    private let setFD: Int32

    public enum Removal: Equatable, Sendable {
        case removed
        /// The pins are gone; the empty directory stays for the next start or `detach`.
        case emptyDirectoryStays(errno: Int32)
    }

    /// Opens the pin root and the relay's set directly below it, never through a link.
    public init(pinRoot: String, pid: Int32) throws(KernelError) {
        directory = SystemStatus.relayPinDirectory(pinRoot: pinRoot, pid: pid)
        name = SystemStatus.relayDirectoryPrefix + String(pid)
        rootFD = try PinTree.open(pinRoot)
        setFD = openat(rootFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard setFD >= 0 else {
            let error = KernelError.fromErrno(errno, operation: "opening \(directory)")
            close(rootFD)
            throw error
        }
    }

    deinit {
        close(setFD)
        close(rootFD)
    }

    /// Unpins everything in the set, then removes its directory if this process still may.
    public func remove() throws(KernelError) -> Removal {
        _ = try PinTree.removeContents(of: setFD, path: directory)
        if unlinkat(rootFD, name, AT_REMOVEDIR) == 0 || errno == ENOENT { return .removed }
        return .emptyDirectoryStays(errno: errno)
    }
}
