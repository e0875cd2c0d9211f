/// The elements of a comma-separated field value (RFC 9110 §5.6.1), each trimmed of OWS.
///
/// Empty elements are produced, not skipped, so each caller decides: token lists skip them,
/// framing fields refuse them. An empty value is one empty element.
struct ListElements: Sequence, IteratorProtocol {
    private let value: UnsafeRawBufferPointer
    private var position = 0
    private var finished = false

    init(_ value: UnsafeRawBufferPointer) {
        self.value = value
    }

    mutating func next() -> UnsafeRawBufferPointer? {
        guard !finished else { return nil }
        var end = position
        while end < value.count, value[end] != ByteClass.comma {
            end += 1
        }
        var start = position
        var trimmedEnd = end
        while start < trimmedEnd, ByteClass.isWhitespace(value[start]) {
            start += 1
        }
        while trimmedEnd > start, ByteClass.isWhitespace(value[trimmedEnd - 1]) {
            trimmedEnd -= 1
        }
        if end == value.count {
            finished = true
        } else {
            position = end + 1
        }
        return UnsafeRawBufferPointer(rebasing: value[start..<trimmedEnd])
    }
}
