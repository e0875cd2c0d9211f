import Foundation

/// Deterministic bodies: the bytes of a body of a given size are always the same, so a test can
/// regenerate what it expects instead of keeping copies.
public enum TestContent {
    public static func bytes(size: Int, seed: UInt64 = 0x9e37_79b9_7f4a_7c15) -> [UInt8] {
        var state = seed ^ UInt64(size) &* 0x2545_f491_4f6c_dd1d
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < size {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                let word = state
                let count = min(8, size - offset)
                withUnsafeBytes(of: word) { raw.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: count) }
                offset += count
            }
        }
        return bytes
    }

    /// Writes `sizes` as files named by size under `directory`.
    public static func writeFiles(_ sizes: [Int], into directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for size in sizes {
            let path = "\(directory)/\(size).bin"
            if !FileManager.default.fileExists(atPath: path) {
                try Data(bytes(size: size)).write(to: URL(fileURLWithPath: path))
            }
        }
    }
}

/// Where a difference between two byte arrays starts, for failure messages.
public func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String {
    if a.count != b.count { return "length \(a.count) vs \(b.count)" }
    if let index = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
        return "first differing byte at offset \(index)"
    }
    return "identical"
}
