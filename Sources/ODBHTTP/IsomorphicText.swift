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
        withBytes(of: text) { bytes.append(contentsOf: $0.assumingMemoryBound(to: UInt8.self)) }
    }

    /// Calls `body` with the bytes `encode` would append; ASCII text is passed without a copy.
    static func withBytes<Result>(of text: String, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        var text = text
        if text.withUTF8({ utf8 in utf8.allSatisfy { $0 < 0x80 } }) {
            return text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
        }
        let bytes = text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
        return bytes.withUnsafeBytes(body)
    }
}
