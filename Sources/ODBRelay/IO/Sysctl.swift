import Foundation

/// The host's kernel settings under /proc/sys.
enum Sysctl {
    /// The integers of a setting such as `net/ipv4/tcp_rmem` (three) or `net/core/rmem_max` (one);
    /// nil when it cannot be read or holds anything else.
    static func integers(_ name: String) -> [Int]? {
        guard let text = try? String(contentsOfFile: "/proc/sys/" + name, encoding: .utf8) else { return nil }
        let integers = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        return integers.isEmpty ? nil : integers
    }
}
