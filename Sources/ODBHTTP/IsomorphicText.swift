/// Byte-exact conversion between field values and Strings.
///
/// Field values may hold obs-text (bytes 0x80–0xFF) that need not be UTF-8. Mapping each
/// byte to the scalar with the same number (isomorphic decoding, as in the Fetch standard)
/// keeps every value forwardable byte for byte; UTF-8 decoding would replace invalid bytes.
enum IsomorphicText {
    static func decode(_ bytes: UnsafeRawBufferPointer) -> String {
        if !bytes.contains(where: { $0 >= 0x80 }) {
            return String(decoding: bytes, as: UTF8.self)
        }
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            scalars.append(Unicode.Scalar(byte))
        }
        return String(scalars)
    }

    /// Appends the bytes of a String made by `decode`, or one whose scalars are all below 0x100.
    static func encode(_ text: String, into bytes: inout [UInt8]) {
        for scalar in text.unicodeScalars {
            bytes.append(UInt8(truncatingIfNeeded: scalar.value))
        }
    }
}
