/// Parsing of the lines of a head whose CRLF line endings were already verified.
enum FieldLineSyntax {
    /// The index of the CR ending the line that starts at `start`.
    ///
    /// Only called on heads checked by `HeadBoundaryScanner`, where every CR is followed by
    /// LF and the head ends in an empty line, so a CR is always found.
    static func lineEnd(in head: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        while head[index] != ByteClass.cr {
            index += 1
        }
        return index
    }

    /// Parses the field lines from `start` through the empty line ending the head.
    static func parseFields(_ head: UnsafeRawBufferPointer, from start: Int, limits: HeadLimits) -> Result<HTTPHeaders, HTTPParseError> {
        var fields: [HTTPField] = []
        var lineStart = start
        while true {
            let end = lineEnd(in: head, from: lineStart)
            if end == lineStart {
                return .success(HTTPHeaders(fields))
            }
            guard fields.count < limits.maxHeaderCount else { return .failure(.tooManyHeaders) }
            switch parseField(UnsafeRawBufferPointer(rebasing: head[lineStart..<end])) {
            case let .success(field): fields.append(field)
            case let .failure(error): return .failure(error)
            }
            lineStart = end + 2
        }
    }

    /// Parses `field-name ":" OWS field-value OWS` (RFC 9112 §5), without the CRLF.
    static func parseField(_ line: UnsafeRawBufferPointer) -> Result<HTTPField, HTTPParseError> {
        guard let first = line.first else { return .failure(.missingColon) }
        if ByteClass.isWhitespace(first) {
            return .failure(.obsoleteLineFolding)
        }
        var nameEnd = 0
        while nameEnd < line.count, ByteClass.isToken(line[nameEnd]) {
            nameEnd += 1
        }
        guard nameEnd < line.count else { return .failure(.missingColon) }
        if line[nameEnd] != ByteClass.colon {
            var afterSpace = nameEnd
            while afterSpace < line.count, ByteClass.isWhitespace(line[afterSpace]) {
                afterSpace += 1
            }
            let spaceThenColon = afterSpace > nameEnd && afterSpace < line.count && line[afterSpace] == ByteClass.colon
            return .failure(spaceThenColon ? .whitespaceBeforeColon : .invalidFieldName)
        }
        guard nameEnd > 0 else { return .failure(.invalidFieldName) }
        var valueStart = nameEnd + 1
        var valueEnd = line.count
        while valueStart < valueEnd, ByteClass.isWhitespace(line[valueStart]) {
            valueStart += 1
        }
        while valueEnd > valueStart, ByteClass.isWhitespace(line[valueEnd - 1]) {
            valueEnd -= 1
        }
        let value = UnsafeRawBufferPointer(rebasing: line[valueStart..<valueEnd])
        guard value.allSatisfy(ByteClass.isFieldValueByte) else { return .failure(.invalidFieldValue) }
        return .success(HTTPField(
            unchecked: String(decoding: UnsafeRawBufferPointer(rebasing: line[..<nameEnd]), as: UTF8.self),
            value: IsomorphicText.decode(value)
        ))
    }
}
