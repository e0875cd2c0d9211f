import Glibc

/// The deterministic body content the built-in origin serves and the load generator checks.
///
/// Byte `i` of every body is `i % 251`. The period is prime so a chunk that is duplicated,
/// dropped or reordered at any power-of-two boundary changes the bytes seen at that offset.
/// One preallocated, never-written-again buffer serves every send and every comparison.
public enum PatternBytes {
    /// The length of one period of the pattern.
    public static let period = 251
    /// The longest slice `slice(at:count:)` hands out.
    public static let maxSlice = 1 << 20

    // Written once at first use, read-only afterwards, so sharing it between threads is safe.
    nonisolated(unsafe) private static let storage: UnsafeMutablePointer<UInt8> = {
        let length = maxSlice + period
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: length)
        for index in 0..<length { buffer[index] = UInt8(index % period) }
        return buffer
    }()

    /// The byte at `offset` of any body.
    @inline(__always)
    public static func byte(at offset: Int) -> UInt8 { UInt8(offset % period) }

    /// Pattern bytes for body offset `offset`, at most `maxSlice` long.
    public static func slice(at offset: Int, count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage + offset % period, count: min(count, maxSlice))
    }

    /// Whether `bytes` equal the body bytes starting at `offset`.
    public static func matches(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        var checked = 0
        while checked < bytes.count {
            let expected = slice(at: offset + checked, count: bytes.count - checked)
            if memcmp(bytes.baseAddress! + checked, expected.baseAddress!, expected.count) != 0 { return false }
            checked += expected.count
        }
        return true
    }
}
