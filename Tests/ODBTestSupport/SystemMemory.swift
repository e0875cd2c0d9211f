import Foundation

/// Kernel-wide memory figures a test can bound: MemAvailable and TCP socket memory.
public enum SystemMemory {
    /// MemAvailable from /proc/meminfo, in bytes.
    public static func available() -> Int {
        field("/proc/meminfo", "MemAvailable:").map { $0 * 1024 } ?? 0
    }

    /// Pages charged to TCP sockets (`mem` in /proc/net/sockstat), in bytes.
    public static func tcpMemory() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/net/sockstat", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("TCP:") }) else { return 0 }
        let words = line.split(separator: " ")
        guard let index = words.firstIndex(of: "mem"), index + 1 < words.count, let pages = Int(words[index + 1]) else { return 0 }
        return pages * 4096
    }

    /// Resident set size of a process, in bytes.
    public static func residentSize(pid: Int32) -> Int {
        field("/proc/\(pid)/status", "VmRSS:").map { $0 * 1024 } ?? 0
    }

    private static func field(_ path: String, _ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }
}
