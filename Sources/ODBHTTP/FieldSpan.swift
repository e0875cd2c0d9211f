/// Where one field line's name and trimmed value lie in the bytes of its `HTTPHeaders`.
struct FieldSpan: Sendable {
    var nameStart: Int
    var nameEnd: Int
    var valueStart: Int
    var valueEnd: Int
    /// What the name is, if the relay reads or edits fields of that name.
    let known: KnownFieldName?

    var name: Range<Int> { nameStart..<nameEnd }
    var value: Range<Int> { valueStart..<valueEnd }

    /// Bytes of the line `name: value` CRLF, or `name:` CRLF for an empty value.
    var serializedCount: Int {
        name.count + value.count + (value.isEmpty ? 3 : 4)
    }

    /// The same span in a buffer where its bytes start `offset` further on.
    func moved(by offset: Int) -> FieldSpan {
        FieldSpan(nameStart: nameStart + offset, nameEnd: nameEnd + offset,
                  valueStart: valueStart + offset, valueEnd: valueEnd + offset, known: known)
    }
}
