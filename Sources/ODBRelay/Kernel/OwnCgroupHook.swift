import Glibc
import Logging
import ODBKernel

/// The relay's own cgroup and the sock_ops hook on it, both ending with the relay.
///
/// Made before any worker thread starts, so that every socket the relay opens is in the
/// hooked cgroup; the hook never reaches another process, even when the relay was started in
/// the root cgroup.
struct OwnCgroupHook {
    let cgroup: RelayCgroup
    let pid: Int32
    private let link: CgroupAttachment.HeldLink

    static func install(_ objects: KernelObjects, pid: Int32, logger: Logger) throws(KernelError) -> OwnCgroupHook {
        let cgroup = try RelayCgroup.enter(pid: pid)
        for path in RelayCgroup.removeLeftovers(in: cgroup.parent) {
            logger.notice("removed the cgroup of a relay that died", metadata: ["cgroup": "\(path)"])
        }
        do {
            let link = try CgroupAttachment.hold(objects, cgroupPath: cgroup.path, ownerPID: UInt32(pid))
            return OwnCgroupHook(cgroup: cgroup, pid: pid, link: link)
        } catch {
            _ = cgroup.leave(pid: pid)
            throw error
        }
    }

    func remove(logger: Logger) {
        link.release()
        if !cgroup.leave(pid: pid) {
            logger.notice("the relay's cgroup stays until the next relay start removes it (a relay that switched user cannot move back)",
                          metadata: ["cgroup": "\(cgroup.path)"])
        }
    }
}
