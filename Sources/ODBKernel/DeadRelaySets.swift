import Foundation

/// Private pin sets (`<pin root>/relay-<pid>`) whose relay has died.
///
/// Their hooks ended with the process, but their maps stay pinned, holding memory and showing
/// the dead relay in `status`, until `detach` or the next relay start removes them.
public enum DeadRelaySets {
    /// Unpins and removes every set under `pinRoot` whose owner process no longer exists.
    /// - Returns: the directories removed.
    public static func remove(pinRoot: String) throws(KernelError) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: pinRoot)) ?? []
        var removed = [String]()
        for name in names.sorted() {
            guard let pid = ownerPID(of: name), !StatusSnapshot.processAlive(pid) else { continue }
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
