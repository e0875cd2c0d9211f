import Foundation

/// Private pin sets (`<pin root>/relay-<pid>`) whose relay is gone.
///
/// A killed relay's hooks ended with the process, but its maps stay pinned, holding memory and
/// showing the dead relay in `status`; a relay that switched user unpinned its set at exit but
/// could not remove the empty directory from the pin root (`PrivatePinSet`). Either stays until
/// `detach` or the next relay start removes it.
public enum DeadRelaySets {
    /// Unpins and removes every set under `pinRoot` whose owner process no longer exists.
    ///
    /// A relay starting passes its own pid: a set already named after it was left by an earlier
    /// process that had the same pid (pids are reused, and a relay in a container often gets
    /// the same one every start), never by this one, which has pinned nothing yet.
    /// - Returns: the directories removed.
    public static func remove(pinRoot: String, startingPID: UInt32) throws(KernelError) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: pinRoot)) ?? []
        var removed = [String]()
        for name in names.sorted() {
            guard let pid = ownerPID(of: name), pid == startingPID || !StatusSnapshot.processAlive(pid) else { continue }
            let directory = pinRoot + "/" + name
            try CgroupAttachment.detachAll(pinDirectory: directory)
            removed.append(directory)
        }
        return removed
    }

    /// The pid in a directory name made by `SystemStatus.relayPinDirectory`, nil for any other.
    static func ownerPID(of name: String) -> UInt32? {
        guard name.hasPrefix(SystemStatus.relayDirectoryPrefix) else { return nil }
        return UInt32(name.dropFirst(SystemStatus.relayDirectoryPrefix.count))
    }
}
