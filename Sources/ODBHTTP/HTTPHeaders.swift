/// The field lines of a head, in received order with received name case.
///
/// Order and case are kept because the relay forwards heads and some origins depend on
/// both; lookups are case-insensitive as RFC 9110 §5.1 requires.
///
/// Fields are byte ranges into one buffer, for a parsed head its received field section:
/// lookups compare bytes, edits append bytes and move ranges, and serializing copies ranges,
/// so forwarding a head makes no String per field. An `HTTPField` is made only when one is
/// asked for; its value is the field's bytes isomorphically decoded (see `IsomorphicText`).
public struct HTTPHeaders: Sendable, RandomAccessCollection {
    /// The bytes every span points into; edits only append, so spans stay valid.
    private var text: [UInt8]
    private var spans: [FieldSpan]

    public init(_ fields: [HTTPField] = []) {
        text = []
        spans = []
        for field in fields {
            append(field)
        }
    }

    /// The fields `FieldLineSyntax` found in `text`.
    init(text: [UInt8], spans: [FieldSpan]) {
        self.text = text
        self.spans = spans
    }

    /// Every field as a name and a value String, in order.
    public var fields: [HTTPField] { Array(self) }

    public var startIndex: Int { spans.startIndex }
    public var endIndex: Int { spans.endIndex }

    public subscript(position: Int) -> HTTPField {
        let span = spans[position]
        return text.withUnsafeBytes { bytes in
            HTTPField(
                unchecked: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[span.name]), as: UTF8.self),
                value: IsomorphicText.decode(UnsafeRawBufferPointer(rebasing: bytes[span.value]))
            )
        }
    }

    // MARK: Lookup

    /// A test of whether a field, given what its name was recognised as and its name's bytes,
    /// has the name looked for.
    typealias NameTest = (KnownFieldName?, UnsafeRawBufferPointer) -> Bool

    /// Calls `body` with the test for `name`: a known name compares the byte each field's name
    /// was recognised as, any other name the bytes of the fields no known name matched.
    static func withTest<Result>(for name: String, _ body: (NameTest) -> Result) -> Result {
        if let known = KnownFieldName(name) {
            return body { field, _ in field == known }
        }
        var name = name
        return name.withUTF8 { name in
            body { field, bytes in field == nil && ByteClass.equalIgnoringCase(bytes, UnsafeRawBufferPointer(name)) }
        }
    }

    /// The test for the known name `known`.
    static func test(for known: KnownFieldName) -> NameTest {
        { field, _ in field == known }
    }

    /// The index of the first field named `name` at or after `start`.
    func index(named name: String, from start: Int = 0) -> Int? {
        Self.withTest(for: name) { firstIndex(from: start, where: $0) }
    }

    /// The index of the first field named `known` at or after `start`.
    func index(of known: KnownFieldName, from start: Int = 0) -> Int? {
        firstIndex(from: start, where: Self.test(for: known))
    }

    private func firstIndex(from start: Int, where isNamed: NameTest) -> Int? {
        text.withUnsafeBytes { bytes in
            (start..<spans.count).first { isNamed(spans[$0].known, UnsafeRawBufferPointer(rebasing: bytes[spans[$0].name])) }
        }
    }

    /// Calls `body` with the value of each field named `name`, in order, while it returns true.
    func forEachValue(named name: String, _ body: (UnsafeRawBufferPointer) -> Bool) {
        Self.withTest(for: name) { forEachValue(where: $0, body) }
    }

    /// Calls `body` with the value of each field named `known`, in order, while it returns true.
    func forEachValue(of known: KnownFieldName, _ body: (UnsafeRawBufferPointer) -> Bool) {
        forEachValue(where: Self.test(for: known), body)
    }

    private func forEachValue(where isNamed: NameTest, _ body: (UnsafeRawBufferPointer) -> Bool) {
        text.withUnsafeBytes { bytes in
            for span in spans where isNamed(span.known, UnsafeRawBufferPointer(rebasing: bytes[span.name])) {
                guard body(UnsafeRawBufferPointer(rebasing: bytes[span.value])) else { return }
            }
        }
    }

    /// Calls `body` with the value of the field at `index`.
    func withValue<Result>(at index: Int, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        text.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[spans[index].value])) }
    }

    /// Whether any field is named `name`.
    public func contains(_ name: String) -> Bool {
        index(named: name) != nil
    }

    /// Whether any field is named `known`.
    public func contains(_ known: KnownFieldName) -> Bool {
        index(of: known) != nil
    }

    /// Every value of fields named `name`, in order; one entry per field line.
    public func values(for name: String) -> [String] {
        var values: [String] = []
        forEachValue(named: name) { value in
            values.append(IsomorphicText.decode(value))
            return true
        }
        return values
    }

    /// The value of the first field named `name`, if any; `values(for:).first` without the array.
    public func value(for name: String) -> String? {
        index(named: name).map { withValue(at: $0, IsomorphicText.decode) }
    }

    /// The value of the first field named `known`, if any.
    public func value(of known: KnownFieldName) -> String? {
        index(of: known).map { withValue(at: $0, IsomorphicText.decode) }
    }

    /// The comma-separated list elements of every field named `name`, trimmed and lowercased.
    ///
    /// Empty elements are dropped, as RFC 9110 §5.6.1 asks of list recipients. Meant for
    /// token lists such as Connection; framing fields use stricter parsing.
    public func tokens(for name: String) -> [String] {
        var tokens: [String] = []
        forEachValue(named: name) { value in
            for element in ListElements(value) where !element.isEmpty {
                tokens.append(IsomorphicText.decode(element).lowercased())
            }
            return true
        }
        return tokens
    }

    /// Whether the token list named `name` has `token` (case-insensitive).
    public func hasToken(_ token: String, in name: String) -> Bool {
        var token = token
        // Field bytes are ASCII-folded; a token with other scalars needs Unicode lowercasing.
        let ascii = token.withUTF8 { token -> Bool? in
            guard token.allSatisfy({ $0 < 0x80 }) else { return nil }
            return Self.withTest(for: name) { hasToken(UnsafeRawBufferPointer(token), where: $0) }
        }
        return ascii ?? tokens(for: name).contains(token.lowercased())
    }

    /// Whether the token list named `known` has the ASCII `token`, compared without case.
    func hasToken(_ token: UnsafeRawBufferPointer, in known: KnownFieldName) -> Bool {
        hasToken(token, where: Self.test(for: known))
    }

    /// Whether the token list named `known` has the ASCII `token`, compared without case.
    func hasToken(_ token: StaticString, in known: KnownFieldName) -> Bool {
        token.withUTF8Buffer { hasToken(UnsafeRawBufferPointer($0), in: known) }
    }

    private func hasToken(_ token: UnsafeRawBufferPointer, where isNamed: NameTest) -> Bool {
        var found = false
        forEachValue(where: isNamed) { value in
            found = Self.list(value, has: token)
            return !found
        }
        return found
    }

    /// Whether the comma-separated `list` has `token` as an element, compared without case.
    private static func list(_ list: UnsafeRawBufferPointer, has token: UnsafeRawBufferPointer) -> Bool {
        ListElements(list).contains { !$0.isEmpty && ByteClass.equalIgnoringCase($0, token) }
    }

    // MARK: Edits

    /// Appends a field; `HTTPField`'s initialiser has checked it.
    public mutating func append(_ field: HTTPField) {
        IsomorphicText.withBytes(of: field.value) { appendUnchecked(name: field.name, value: $0) }
    }

    /// Appends a field; crashes on an invalid name or value (see `HTTPField.init`).
    public mutating func append(name: String, value: String) {
        append(HTTPField(name: name, value: value))
    }

    private mutating func appendUnchecked(name: String, value: UnsafeRawBufferPointer) {
        var name = name
        name.withUTF8 { name in
            let name = UnsafeRawBufferPointer(name)
            appendUnchecked(name: name, known: KnownFieldName(name), value: value)
        }
    }

    private mutating func appendUnchecked(name: UnsafeRawBufferPointer, known: KnownFieldName?, value: UnsafeRawBufferPointer) {
        let nameStart = text.count
        text.append(contentsOf: name.assumingMemoryBound(to: UInt8.self))
        let valueStart = text.count
        text.append(contentsOf: value.assumingMemoryBound(to: UInt8.self))
        spans.append(FieldSpan(nameStart: nameStart, nameEnd: valueStart, valueStart: valueStart, valueEnd: text.count,
                               known: known))
    }

    /// Removes every field named `name`.
    public mutating func remove(named name: String) {
        Self.withTest(for: name) { removeAll(where: $0) }
    }

    /// Removes every field named `known`.
    public mutating func remove(_ known: KnownFieldName) {
        removeAll(where: Self.test(for: known))
    }

    /// Removes the fields at or after `start` whose name `shouldRemove` picks, keeping order.
    mutating func removeAll(from start: Int = 0, where shouldRemove: NameTest) {
        removeAll(from: start) { known, name, _ in shouldRemove(known, name) }
    }

    /// Removes the fields at or after `start` that `shouldRemove` picks, keeping order. It is
    /// given each field's recognised name, its name's bytes, and a test of whether a Connection
    /// field of the head as it was before this removal lists that name (RFC 9110 §7.6.1).
    mutating func removeAll(
        from start: Int = 0, where shouldRemove: (KnownFieldName?, UnsafeRawBufferPointer, _ namedInConnection: () -> Bool) -> Bool
    ) {
        let connectionFields = spans.reduce(0) { $0 + ($1.known == .connection ? 1 : 0) }
        // Removal moves spans over others, the text stays: the Connection values' places in it
        // are noted first.
        withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: connectionFields) { connectionValues in
            var noted = 0
            for span in spans where span.known == .connection {
                (connectionValues.baseAddress! + noted).initialize(to: span.value)
                noted += 1
            }
            let text = self.text
            text.withUnsafeBytes { bytes in
                var kept = start
                for index in start..<spans.count {
                    let span = spans[index]
                    let name = UnsafeRawBufferPointer(rebasing: bytes[span.name])
                    let removed = shouldRemove(span.known, name) {
                        connectionValues.contains { Self.list(UnsafeRawBufferPointer(rebasing: bytes[$0]), has: name) }
                    }
                    guard !removed else { continue }
                    if kept != index {
                        spans[kept] = span
                    }
                    kept += 1
                }
                if kept != spans.count {
                    spans.removeSubrange(kept...)
                }
            }
        }
    }

    /// Makes `field` the only one of its name, where the first of that name was, else last.
    public mutating func replaceAll(with field: HTTPField) {
        guard let first = index(named: field.name) else {
            append(field)
            return
        }
        append(field)
        spans[first] = spans.removeLast()
        Self.withTest(for: field.name) { removeAll(from: first + 1, where: $0) }
    }

    /// Appends `element` to the last field named `known` as `, element`, or adds the field.
    ///
    /// Extending the last line keeps a list-valued field (Via, X-Forwarded-For) in one
    /// place without reordering what earlier hops wrote.
    public mutating func appendListElement(_ element: String, to known: KnownFieldName) {
        IsomorphicText.withBytes(of: element) { appendListElement($0, to: known) }
    }

    /// `appendListElement` for an element already in wire form; crashes on an invalid result.
    mutating func appendListElement(_ element: UnsafeRawBufferPointer, to known: KnownFieldName) {
        let last = spans.lastIndex { $0.known == known }
        // Every value held is valid and trimmed, so a value joined onto it is valid when the
        // element is and is not empty.
        let joinsAValue = last.map { !spans[$0].value.isEmpty } ?? false
        precondition(HTTPField.isValidValue(element) && !(joinsAValue && element.isEmpty), "invalid HTTP field value")
        guard let last else {
            known.spelling.withUTF8Buffer { appendUnchecked(name: UnsafeRawBufferPointer($0), known: known, value: element) }
            return
        }
        let existing = spans[last].value
        let valueStart = text.count
        if !existing.isEmpty {
            text.reserveCapacity(text.count + existing.count + 2 + element.count)
            text.append(contentsOf: repeatElement(0, count: existing.count))
            text.withUnsafeMutableBytes { bytes in
                (bytes.baseAddress! + valueStart).copyMemory(from: bytes.baseAddress! + existing.lowerBound, byteCount: existing.count)
            }
            text.append(ByteClass.comma)
            text.append(ByteClass.space)
        }
        text.append(contentsOf: element.assumingMemoryBound(to: UInt8.self))
        spans[last].valueStart = valueStart
        spans[last].valueEnd = text.count
    }

    /// Makes room for `fields` more fields and `bytes` more bytes, so edits that follow copy
    /// shared storage once instead of growing it step by step.
    mutating func reserveCapacity(fields: Int, bytes: Int) {
        spans.reserveCapacity(spans.count + fields)
        text.reserveCapacity(text.count + bytes)
    }

    // MARK: Wire form

    /// Bytes `write(to:)` writes.
    var serializedCount: Int {
        spans.reduce(2) { $0 + $1.serializedCount }
    }

    /// Writes each field as `name: value` CRLF (`name:` CRLF when empty), then the empty line.
    func write(to writer: inout HeadWriter) {
        text.withUnsafeBytes { text in
            for span in spans {
                writer.writeField(name: UnsafeRawBufferPointer(rebasing: text[span.name]),
                                  value: UnsafeRawBufferPointer(rebasing: text[span.value]))
            }
        }
        writer.writeLineEnd()
    }
}

/// Heads are equal when their fields are, name case and value bytes included.
extension HTTPHeaders: Hashable {
    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        guard lhs.spans.count == rhs.spans.count else { return false }
        return lhs.text.withUnsafeBytes { left in
            rhs.text.withUnsafeBytes { right in
                zip(lhs.spans, rhs.spans).allSatisfy { mine, theirs in
                    left[mine.name].elementsEqual(right[theirs.name]) && left[mine.value].elementsEqual(right[theirs.value])
                }
            }
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(spans.count)
        text.withUnsafeBytes { bytes in
            for span in spans {
                hasher.combine(span.name.count)
                hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: bytes[span.name]))
                hasher.combine(span.value.count)
                hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: bytes[span.value]))
            }
        }
    }
}
