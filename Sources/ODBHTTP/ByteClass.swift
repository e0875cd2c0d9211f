/// Character classes from RFC 9110 / RFC 3986, on raw bytes.
///
/// Switches over byte ranges compile to compact comparisons; no per-byte String work.
enum ByteClass {
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let colon = UInt8(ascii: ":")
    static let comma = UInt8(ascii: ",")

    /// tchar (RFC 9110 §5.6.2): `!#$%&'*+-.^_`|~`, digits and letters, one bit per ASCII byte,
    /// so a name's bytes are tested by a shift each.
    @inline(__always)
    static func isToken(_ byte: UInt8) -> Bool {
        let low: UInt64 = 0x03FF_6CFA_0000_0000
        let high: UInt64 = 0x57FF_FFFF_C7FF_FFFE
        return byte < 0x80 && ((byte < 0x40 ? low : high) >> (byte & 0x3F)) & 1 == 1
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// The value of a HEXDIG, or nil.
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// SP or HTAB: OWS / BWS / RWS.
    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == space || byte == tab
    }

    /// field-vchar, SP or HTAB: what may appear inside a field value (obs-text included).
    @inline(__always)
    static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == tab || (byte >= 0x20 && byte != 0x7F)
    }

    /// Whether every byte of `bytes` is a field value byte.
    ///
    /// Eight bytes are passed at once when none is below SP or DEL (DEL is the byte that XOR
    /// with DEL makes zero, which is below 1); a word with either, such as one holding a HTAB,
    /// is tested byte by byte.
    static func isFieldValue(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        while index + 8 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            if hasByte(below: space, in: word) || hasByte(below: 1, in: word ^ (everyByte &* 0x7F)) {
                for offset in index..<index + 8 where !isFieldValueByte(bytes[offset]) {
                    return false
                }
            }
            index += 8
        }
        while index < bytes.count {
            guard isFieldValueByte(bytes[index]) else { return false }
            index += 1
        }
        return true
    }

    /// Bytes allowed in a request-target.
    ///
    /// Only whitespace, controls, DEL, non-ASCII and `#` are refused: real clients send `|`,
    /// `{` or `"` unencoded and origins accept them, but a raw space or control byte is where
    /// parsers disagree, non-ASCII is never valid in a URI, and a fragment is never sent.
    @inline(__always)
    static func isTargetByte(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "#")
    }

    /// unreserved / sub-delims (RFC 3986) without `,`: the bytes of a host name besides pct-encoded.
    ///
    /// `,` is a sub-delim, but in Host it almost always means two Host fields were combined
    /// into a list (RFC 9110 §5.3), and components would route such a value differently.
    @inline(__always)
    static func isRegNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),
             UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"),
             UInt8(ascii: ";"), UInt8(ascii: "="):
            return true
        default:
            return false
        }
    }

    /// The index of the first byte at or after `start` and before `end` that is below `bound`
    /// (at most 128), or `end`.
    ///
    /// Eight bytes are tested at once while none is below `bound`: head lines are long runs of
    /// printable bytes between the control bytes that end them.
    @inline(__always)
    static func firstIndex(below bound: UInt8, in bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int {
        var index = start
        while index + 8 <= end {
            guard !hasByte(below: bound, in: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)) else { break }
            index += 8
        }
        while index < end && bytes[index] >= bound {
            index += 1
        }
        return index
    }

    /// 0x01 in every byte of a word.
    private static let everyByte: UInt64 = 0x0101_0101_0101_0101

    /// Whether any byte of `word` is below `bound` (at most 128): subtracting `bound` from every
    /// byte sets a byte's top bit, where that byte's own top bit is clear, only if some byte of
    /// the word is below `bound`.
    @inline(__always)
    private static func hasByte(below bound: UInt8, in word: UInt64) -> Bool {
        (word &- everyByte &* UInt64(bound)) & ~word & (everyByte &* 0x80) != 0
    }

    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    /// ASCII case-insensitive comparison; field names and tokens are ASCII, so folding ASCII is exact.
    static func equalIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ other: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count == other.count else { return false }
        for index in 0..<bytes.count where lowercased(bytes[index]) != lowercased(other[index]) {
            return false
        }
        return true
    }

    /// `equalIgnoringCase` against the UTF-8 of `text`, such as a field name the code spells out.
    static func equalIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ text: String) -> Bool {
        var text = text
        return text.withUTF8 { equalIgnoringCase(bytes, UnsafeRawBufferPointer($0)) }
    }
}
