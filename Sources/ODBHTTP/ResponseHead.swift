/// A parsed status line and header section.
public struct ResponseHead: Sendable, Hashable, WireHead {
    public let version: HTTPVersion
    public let status: Int
    public let reason: String
    public var headers: HTTPHeaders

    /// A head the relay writes itself, e.g. an error answer; crashes on an invalid status or reason.
    public init(version: HTTPVersion = .http1_1, status: Int, reason: String, headers: HTTPHeaders = HTTPHeaders()) {
        precondition((100...599).contains(status), "status code out of range")
        precondition(HTTPField.isValidValue(reason), "invalid reason phrase")
        self.init(unchecked: version, status: status, reason: reason, headers: headers)
    }

    private init(unchecked version: HTTPVersion, status: Int, reason: String, headers: HTTPHeaders) {
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
    }

    /// Parses a complete head from the start of `bytes`; for buffers that grow, keep a `HeadParser`.
    public static func parse(_ bytes: UnsafeRawBufferPointer, limits: HeadLimits = HeadLimits()) -> HeadParseResult<ResponseHead> {
        var parser = HeadParser<ResponseHead>(limits: limits)
        return parser.parse(bytes)
    }

    /// Parses a complete head from the start of `bytes`; for buffers that grow, keep a `HeadParser`.
    public static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes, limits: HeadLimits = HeadLimits()) -> HeadParseResult<ResponseHead> {
        var parser = HeadParser<ResponseHead>(limits: limits)
        return parser.parse(bytes)
    }

    public var serializedCount: Int {
        HTTPVersion.serializedCount + 7 + reason.unicodeScalars.count + headers.serializedCount
    }

    /// Writes the status line, the fields with their original name case and the empty line.
    ///
    /// The status line always has the SP before the reason, even when the reason is empty.
    public func write(to writer: inout HeadWriter) {
        version.write(to: &writer)
        writer.write(ByteClass.space)
        // 100...599, as both initialisers ensure: three digits.
        writer.write(UInt8(ascii: "0") + UInt8(status / 100))
        writer.write(UInt8(ascii: "0") + UInt8(status / 10 % 10))
        writer.write(UInt8(ascii: "0") + UInt8(status % 10))
        writer.write(ByteClass.space)
        IsomorphicText.withBytes(of: reason) { writer.write($0) }
        writer.writeLineEnd()
        headers.write(to: &writer)
    }

    /// Decodes a head found by `HeadBoundaryScanner` (CRLF lines, ends in an empty line).
    ///
    /// `HTTP/1.1 200` without the SP before the (empty) reason is accepted although RFC 9112
    /// §4 requires it: origins in the wild send it, the line cannot be read two ways, and
    /// clients ignore the reason anyway. Status codes outside 100–599 are refused because
    /// their class, and so the response's framing, is undefined.
    @Sendable
    static func decode(_ head: UnsafeRawBufferPointer, limits: HeadLimits) -> Result<ResponseHead, HTTPParseError> {
        let lineEnd = FieldLineSyntax.lineEnd(in: head, from: 0)
        let line = UnsafeRawBufferPointer(rebasing: head[..<lineEnd])
        guard line.count >= 12, line[8] == ByteClass.space,
              line.count == 12 || line[12] == ByteClass.space
        else { return .failure(.invalidStatusLine) }
        let version: HTTPVersion
        switch HTTPVersion.parse(UnsafeRawBufferPointer(rebasing: line[..<8]), malformed: .invalidStatusLine) {
        case let .success(parsed): version = parsed
        case let .failure(error): return .failure(error)
        }
        let digits = line[9..<12]
        guard digits.allSatisfy(ByteClass.isDigit) else { return .failure(.invalidStatusLine) }
        let status = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard (100...599).contains(status) else { return .failure(.invalidStatusLine) }
        let reasonBytes = UnsafeRawBufferPointer(rebasing: line[min(13, line.count)...])
        guard reasonBytes.allSatisfy(ByteClass.isFieldValueByte) else { return .failure(.invalidStatusLine) }
        let headers: HTTPHeaders
        switch FieldLineSyntax.parseFields(head, from: lineEnd + 2, limits: limits) {
        case let .success(parsed): headers = parsed
        case let .failure(error): return .failure(error)
        }
        return .success(ResponseHead(
            unchecked: version, status: status, reason: IsomorphicText.decode(reasonBytes), headers: headers
        ))
    }
}
