/// Parsing of the lines of a head whose CRLF line endings were already verified.
enum FieldLineSyntax {
    /// The index of the CR ending the line that starts at `start`.
    ///
    /// Only called on heads checked by `HeadBoundaryScanner`, where every CR is followed by
    /// LF and the head ends in an empty line, so a CR is always found.
    static func lineEnd(in head: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = ByteClass.firstIndex(below: ByteClass.cr + 1, in: head, from: start, to: head.count)
        while head[index] != ByteClass.cr {
            index += 1
        }
        return index
    }

    /// Room for the fields of nearly every head, so their array is allocated once without a
    /// pass to count the lines first.
    private static let usualFieldCount = 16

    /// Parses the field lines from `start` through the empty line ending the head.
    ///
    /// The fields keep one copy of the field section, with room after it for a forwarding
    /// rewrite's edits (`ProxyHeaderRewrite.editRoom`), and a span per line into it.
    static func parseFields(_ head: UnsafeRawBufferPointer, from start: Int, limits: HeadLimits) -> Result<HTTPHeaders, HTTPParseError> {
        let section = UnsafeRawBufferPointer(rebasing: head[start...])
        guard section.count > 2 else { return .success(HTTPHeaders()) }
        var spans: [FieldSpan] = []
        spans.reserveCapacity(min(Self.usualFieldCount, limits.maxHeaderCount))
        var lineStart = 0
        while true {
            let end = lineEnd(in: section, from: lineStart)
            if end == lineStart {
                var text = [UInt8]()
                text.reserveCapacity(section.count + ProxyHeaderRewrite.editRoom)
                text.append(contentsOf: section)
                return .success(HTTPHeaders(text: text, spans: spans))
            }
            guard spans.count < limits.maxHeaderCount else { return .failure(.tooManyHeaders) }
            switch parseField(UnsafeRawBufferPointer(rebasing: section[lineStart..<end])) {
            case let .success(span): spans.append(span.moved(by: lineStart))
            case let .failure(error): return .failure(error)
            }
            lineStart = end + 2
        }
    }

    /// Parses `field-name ":" OWS field-value OWS` (RFC 9112 §5), without the CRLF; the span
    /// counts from the line's start.
    static func parseField(_ line: UnsafeRawBufferPointer) -> Result<FieldSpan, HTTPParseError> {
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
        guard ByteClass.isFieldValue(UnsafeRawBufferPointer(rebasing: line[valueStart..<valueEnd])) else {
            return .failure(.invalidFieldValue)
        }
        return .success(FieldSpan(nameStart: 0, nameEnd: nameEnd, valueStart: valueStart, valueEnd: valueEnd,
                                  known: KnownFieldName(UnsafeRawBufferPointer(rebasing: line[..<nameEnd]))))
    }
}
