import Testing
@testable import ODBHTTP

/// The byte tests the head path runs on every byte, against their definitions spelled plainly.
@Suite struct ByteClassTests {
    /// Buffers of mostly printable bytes with control bytes, DEL and obs-text strewn in, of
    /// every length up to 38, from a fixed seed.
    private static func buffers() -> [[UInt8]] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<2_000).map { trial in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let count = Int(state >> 59) + trial % 7
            return (0..<count).map { index -> UInt8 in
                let mixed = (state >> UInt64(index % 57)) ^ UInt64(index &* 131)
                switch mixed % 13 {
                case 0: return UInt8(truncatingIfNeeded: mixed % 14)
                case 1: return 0x7F
                default: return UInt8(truncatingIfNeeded: 0x20 + mixed % 0xE0)
                }
            }
        }
    }

    @Test func tokenBytesAreTheRFCsList() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(ByteClass.isToken(byte) == tchar.contains(byte), "byte \(byte)")
        }
    }

    /// The scanner and the line search skip eight bytes at a time; any byte may sit anywhere.
    @Test func firstIndexBelowABoundMatchesAByteByByteSearch() {
        for (trial, bytes) in Self.buffers().enumerated() {
            for bound: UInt8 in [1, 10, 14, 0x20, 0x80] {
                let start = bytes.isEmpty ? 0 : trial % (bytes.count + 1)
                let expected = bytes[start...].firstIndex { $0 < bound } ?? bytes.count
                let found = bytes.withUnsafeBytes { ByteClass.firstIndex(below: bound, in: $0, from: start, to: bytes.count) }
                #expect(found == expected, "bytes \(bytes), from \(start), below \(bound)")
            }
        }
    }

    @Test func fieldValuesAreCheckedAsByteByByte() {
        for bytes in Self.buffers() {
            let expected = bytes.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
            #expect(bytes.withUnsafeBytes(ByteClass.isFieldValue) == expected, "bytes \(bytes)")
        }
    }
}
