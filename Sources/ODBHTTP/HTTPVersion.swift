/// An HTTP/1.x protocol version, as it appears in start lines.
public struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    public let major: UInt8
    public let minor: UInt8

    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)
    /// Only as the name of a protocol the relay carries unparsed (`HTTP2Preface`).
    public static let http2_0 = HTTPVersion(major: 2, minor: 0)

    private init(major: UInt8, minor: UInt8) {
        self.major = major
        self.minor = minor
    }

    /// The wire form, e.g. `HTTP/1.1`.
    public var description: String { "HTTP/\(major).\(minor)" }

    /// The ASCII digits of `major` and `minor`: parsing and the predefined versions allow one each.
    var majorDigit: UInt8 { UInt8(ascii: "0") + major }
    var minorDigit: UInt8 { UInt8(ascii: "0") + minor }

    private static let protocolName: StaticString = "HTTP/"

    /// Writes the wire form, `serializedCount` bytes.
    func write(to writer: inout HeadWriter) {
        Self.protocolName.withUTF8Buffer { writer.write(UnsafeRawBufferPointer($0)) }
        writer.write(majorDigit)
        writer.write(UInt8(ascii: "."))
        writer.write(minorDigit)
    }

    static let serializedCount = 8

    /// Parses exactly `HTTP/` DIGIT `.` DIGIT, case-sensitive as RFC 9112 §2.3 requires.
    ///
    /// A well-formed version other than 1.0 or 1.1 is `.unsupportedVersion` (505) rather than
    /// a syntax error, so the client learns what to retry with.
    static func parse(_ bytes: UnsafeRawBufferPointer, malformed: HTTPParseError) -> Result<HTTPVersion, HTTPParseError> {
        guard bytes.count == 8,
              bytes[0] == UInt8(ascii: "H"), bytes[1] == UInt8(ascii: "T"),
              bytes[2] == UInt8(ascii: "T"), bytes[3] == UInt8(ascii: "P"),
              bytes[4] == UInt8(ascii: "/"), ByteClass.isDigit(bytes[5]),
              bytes[6] == UInt8(ascii: "."), ByteClass.isDigit(bytes[7])
        else { return .failure(malformed) }
        switch (bytes[5], bytes[7]) {
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): return .success(.http1_0)
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): return .success(.http1_1)
        default: return .failure(.unsupportedVersion)
        }
    }
}
