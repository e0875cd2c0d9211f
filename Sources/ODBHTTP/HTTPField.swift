/// One header or trailer field line: a name in its original case and a trimmed value.
///
/// Values are kept isomorphically decoded (each byte one scalar U+0000–U+00FF), so
/// serialising gives back the received bytes even when they are not UTF-8.
public struct HTTPField: Sendable, Hashable {
    public let name: String
    public let value: String

    /// A field from the relay's own code; crashes on a name or value that would corrupt the head.
    ///
    /// Values the relay adds come from its configuration and peers' addresses; validate those
    /// with `isValidName`/`isValidValue` first. A trap here beats emitting header injection.
    public init(name: String, value: String) {
        precondition(Self.isValidName(name), "invalid HTTP field name")
        precondition(Self.isValidValue(value), "invalid HTTP field value")
        self.name = name
        self.value = value
    }

    init(unchecked name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// Whether `name` is a token (RFC 9110 §5.1).
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy(ByteClass.isToken)
    }

    /// Whether `value` can be sent: no controls but HTAB, no DEL, no edge whitespace, scalars below U+0100.
    public static func isValidValue(_ value: String) -> Bool {
        let scalars = value.unicodeScalars
        if let first = scalars.first, let last = scalars.last,
           first == " " || first == "\t" || last == " " || last == "\t" {
            return false
        }
        return scalars.allSatisfy { $0.value < 0x100 && ByteClass.isFieldValueByte(UInt8($0.value)) }
    }

    /// `isValidValue` for a value in wire form (its isomorphic decoding).
    static func isValidValue(_ value: UnsafeRawBufferPointer) -> Bool {
        if let first = value.first, let last = value.last,
           ByteClass.isWhitespace(first) || ByteClass.isWhitespace(last) {
            return false
        }
        return ByteClass.isFieldValue(value)
    }
}
