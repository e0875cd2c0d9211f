import Foundation
import Glibc

/// TCP memory as the kernel accounts it: the system total (/proc/net/sockstat) and per socket
/// (`ss -tm`'s skmem).
public enum TCPMemory {
    /// Bytes all TCP sockets of this network namespace hold (sockstat's `mem`, in pages).
    public static func systemBytes() -> Int {
        let sockstat = readProcFile("/proc/net/sockstat") ?? ""
        guard let line = sockstat.split(separator: "\n").first(where: { $0.hasPrefix("TCP:") }) else { return -1 }
        let fields = line.split(separator: " ")
        guard let index = fields.firstIndex(of: "mem"), index + 1 < fields.count, let pages = Int(fields[index + 1]) else { return -1 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Receive memory in use (`r`) and receive buffer (`rb`) of each connected socket whose
    /// peer is 127.0.0.1:`remotePort`.
    public static func receiveMemory(toPort remotePort: Int) throws -> [(allocated: Int, buffer: Int)] {
        let result = try CommandRunner.run("/usr/bin/ss", ["-tmnH", "state", "established", "dst", "127.0.0.1:\(remotePort)"])
        return result.stdout.components(separatedBy: "skmem:(").dropFirst().compactMap { entry in
            var values = [String: Int]()
            for field in entry.prefix { $0 != ")" }.split(separator: ",") {
                let name = field.prefix { $0.isLetter }
                values[String(name)] = Int(field.dropFirst(name.count))
            }
            guard let allocated = values["r"], let buffer = values["rb"] else { return nil }
            return (allocated, buffer)
        }
    }
}
