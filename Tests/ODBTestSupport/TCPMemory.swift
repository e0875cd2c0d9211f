import Foundation
import Glibc

/// TCP memory as the kernel accounts it for the whole network namespace; `ProcessMemory` has
/// one process's share.
public enum TCPMemory {
    /// Bytes all TCP sockets of this network namespace hold (sockstat's `mem`, in pages).
    public static func systemBytes() -> Int {
        let sockstat = readProcFile("/proc/net/sockstat") ?? ""
        guard let line = sockstat.split(separator: "\n").first(where: { $0.hasPrefix("TCP:") }) else { return -1 }
        let fields = line.split(separator: " ")
        guard let index = fields.firstIndex(of: "mem"), index + 1 < fields.count, let pages = Int(fields[index + 1]) else { return -1 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
