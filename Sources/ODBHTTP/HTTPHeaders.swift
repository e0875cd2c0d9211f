/// The field lines of a head, in received order with received name case.
///
/// Order and case are kept because the relay forwards heads and some origins depend on
/// both; lookups are case-insensitive as RFC 9110 §5.1 requires.
public struct HTTPHeaders: Sendable, Hashable, RandomAccessCollection {
    public private(set) var fields: [HTTPField]

    public init(_ fields: [HTTPField] = []) {
        self.fields = fields
    }

    public var startIndex: Int { fields.startIndex }
    public var endIndex: Int { fields.endIndex }
    public subscript(position: Int) -> HTTPField { fields[position] }

    /// Every value of fields named `name`, in order; one entry per field line.
    public func values(for name: String) -> [String] {
        fields.filter { $0.hasName(name) }.map(\.value)
    }

    /// Whether any field is named `name`.
    public func contains(_ name: String) -> Bool {
        fields.contains { $0.hasName(name) }
    }

    /// The comma-separated list elements of every field named `name`, trimmed and lowercased.
    ///
    /// Empty elements are dropped, as RFC 9110 §5.6.1 asks of list recipients. Meant for
    /// token lists such as Connection; framing fields use stricter parsing.
    public func tokens(for name: String) -> [String] {
        values(for: name).flatMap { value in
            value.split(separator: ",", omittingEmptySubsequences: false).compactMap { element in
                let trimmed = element.drop { $0 == " " || $0 == "\t" }
                let token = String(trimmed.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
                return token.isEmpty ? nil : token.lowercased()
            }
        }
    }

    /// Whether the token list named `name` has `token` (case-insensitive).
    public func hasToken(_ token: String, in name: String) -> Bool {
        tokens(for: name).contains(token.lowercased())
    }

    public mutating func append(_ field: HTTPField) {
        fields.append(field)
    }

    /// Appends a field; crashes on an invalid name or value (see `HTTPField.init`).
    public mutating func append(name: String, value: String) {
        fields.append(HTTPField(name: name, value: value))
    }

    /// Removes every field named `name`.
    public mutating func remove(named name: String) {
        fields.removeAll { $0.hasName(name) }
    }

    /// Makes `field` the only one of its name, where the first of that name was, else last.
    public mutating func replaceAll(with field: HTTPField) {
        var replaced = false
        fields = fields.compactMap { existing in
            guard existing.hasName(field.name) else { return existing }
            defer { replaced = true }
            return replaced ? nil : field
        }
        if !replaced {
            fields.append(field)
        }
    }

    /// Appends `element` to the last field named `name` as `, element`, or adds the field.
    ///
    /// Extending the last line keeps a list-valued field (Via, X-Forwarded-For) in one
    /// place without reordering what earlier hops wrote.
    public mutating func appendListElement(_ element: String, to name: String) {
        if let last = fields.lastIndex(where: { $0.hasName(name) }) {
            let existing = fields[last]
            let value = existing.value.isEmpty ? element : existing.value + ", " + element
            fields[last] = HTTPField(name: existing.name, value: value)
        } else {
            fields.append(HTTPField(name: name, value: element))
        }
    }

    func serialize(into bytes: inout [UInt8]) {
        for field in fields {
            bytes.append(contentsOf: field.name.utf8)
            bytes.append(ByteClass.colon)
            if !field.value.isEmpty {
                bytes.append(ByteClass.space)
                IsomorphicText.encode(field.value, into: &bytes)
            }
            bytes.append(ByteClass.cr)
            bytes.append(ByteClass.lf)
        }
        bytes.append(ByteClass.cr)
        bytes.append(ByteClass.lf)
    }
}
