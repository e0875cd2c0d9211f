/// Names a held payload: its holder, its token and its framing. Travels as the `ODB-Payload`
/// header, only between peers.
public struct PayloadDescriptor: Equatable, Sendable {
    public let holder: String
    public let token: PayloadToken
    public let framing: PayloadFraming

    public init(holder: String, token: PayloadToken, framing: PayloadFraming) {
        self.holder = holder
        self.token = token
        self.framing = framing
    }

    /// Why a header value is not a descriptor.
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case unsupportedVersion(String)
        case missing(String)

        public var description: String {
            switch self {
            case let .malformed(part): return "malformed descriptor part \"\(part)\""
            case let .unsupportedVersion(version): return "unsupported descriptor version \(version)"
            case let .missing(key): return "descriptor without \(key)"
            }
        }
    }

    /// Parses `v=1; holder=NAME; token=HEX; framing=length; length=N` (or `framing=chunked`,
    /// `framing=close`). Every part must be known and well formed: a descriptor is never guessed at.
    ///
    /// Works on the value's bytes: every intermediate of a chain parses each descriptor it passes on.
    public init(headerValue: String) throws(ParseError) {
        var value = headerValue
        self = try value.withUTF8 { DescriptorParts.parse(UnsafeRawBufferPointer($0)) }.get()
    }

    public var headerValue: String {
        var value = "v=\(VirtualPayload.version); holder=\(holder); token=\(token.hex); framing=\(framing.name)"
        if case let .length(length) = framing { value += "; length=\(length)" }
        return value
    }

    /// Holder names: letters, digits, '.', '_' and '-', at most 64 bytes, so a descriptor stays short.
    public static func isHolderName(_ name: String) -> Bool {
        isHolderName(bytes: name.utf8)
    }

    static func isHolderName(bytes name: some Collection<UInt8>) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
    }
}

/// The parts of a descriptor's header value, as byte ranges into it, and the checks that make
/// them a `PayloadDescriptor`.
private struct DescriptorParts {
    /// The keys a descriptor may have, spelled as on the wire.
    private enum Key: String {
        case version = "v", holder, token, framing, length
    }

    private let bytes: UnsafeRawBufferPointer
    private var version: Range<Int>?
    private var holder: Range<Int>?
    private var token: Range<Int>?
    private var framing: Range<Int>?
    private var length: Range<Int>?
    /// The first part whose key is none of `Key`'s.
    private var unknown: Range<Int>?

    static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<PayloadDescriptor, PayloadDescriptor.ParseError> {
        var parts = DescriptorParts(bytes: bytes)
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: ";")) ?? bytes.count
            // Empty parts (";;", a trailing ';') are skipped; a part of only spaces is not.
            if end > start, let error = parts.add(start..<end) { return .failure(error) }
            start = end + 1
        }
        return parts.descriptor()
    }

    private init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Records one `;`-separated part; a part without `=`, or a key given twice, is malformed.
    private mutating func add(_ raw: Range<Int>) -> PayloadDescriptor.ParseError? {
        var lower = raw.lowerBound, upper = raw.upperBound
        while lower < upper, ByteClass.isWhitespace(bytes[lower]) { lower += 1 }
        while upper > lower, ByteClass.isWhitespace(bytes[upper - 1]) { upper -= 1 }
        let part = lower..<upper
        guard let equals = bytes[part].firstIndex(of: UInt8(ascii: "=")) else { return .malformed(text(part)) }
        let value = equals + 1..<upper
        let stored: Bool
        // Keys are at most 7 bytes, so their String is a small one, made without allocating.
        switch Key(rawValue: text(lower..<equals)) {
        case .version: stored = Self.store(value, in: &version)
        case .holder: stored = Self.store(value, in: &holder)
        case .token: stored = Self.store(value, in: &token)
        case .framing: stored = Self.store(value, in: &framing)
        case .length: stored = Self.store(value, in: &length)
        case nil:
            if unknown == nil { unknown = part }
            stored = true
        }
        return stored ? nil : .malformed(text(part))
    }

    private static func store(_ value: Range<Int>, in slot: inout Range<Int>?) -> Bool {
        guard slot == nil else { return false }
        slot = value
        return true
    }

    private func descriptor() -> Result<PayloadDescriptor, PayloadDescriptor.ParseError> {
        guard let version else { return .failure(.missing(Key.version.rawValue)) }
        guard matches(version, String(VirtualPayload.version)) else { return .failure(.unsupportedVersion(text(version))) }
        guard let holder else { return .failure(.missing(Key.holder.rawValue)) }
        guard PayloadDescriptor.isHolderName(bytes: bytes[holder]) else { return .failure(malformed(.holder, holder)) }
        guard let token else { return .failure(.missing(Key.token.rawValue)) }
        guard let tokenValue = PayloadToken(hexDigits: UnsafeRawBufferPointer(rebasing: bytes[token])) else {
            return .failure(.malformed(Key.token.rawValue))
        }
        guard let framing else { return .failure(.missing(Key.framing.rawValue)) }
        let framingValue: PayloadFraming
        if matches(framing, Key.length.rawValue) {
            guard let length else { return .failure(.missing(Key.length.rawValue)) }
            guard let count = decimal(length), count > 0 else { return .failure(malformed(.length, length)) }
            framingValue = .length(count)
        } else if matches(framing, PayloadFraming.chunked.name) {
            framingValue = .chunked
        } else if matches(framing, PayloadFraming.close.name) {
            framingValue = .close
        } else {
            return .failure(malformed(.framing, framing))
        }
        if let unknown { return .failure(.malformed(text(unknown))) }
        if let length, framingValue == .chunked || framingValue == .close {
            return .failure(malformed(.length, length))
        }
        return .success(PayloadDescriptor(holder: text(holder), token: tokenValue, framing: framingValue))
    }

    /// At most 19 decimal digits, so that the value fits in 64 bits; no sign, no spaces.
    private func decimal(_ range: Range<Int>) -> UInt64? {
        guard !range.isEmpty, range.count <= 19 else { return nil }
        var value: UInt64 = 0
        for byte in bytes[range] {
            guard ByteClass.isDigit(byte) else { return nil }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private func matches(_ range: Range<Int>, _ text: String) -> Bool {
        var text = text
        return text.withUTF8 { $0.elementsEqual(bytes[range]) }
    }

    private func text(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    private func malformed(_ key: Key, _ value: Range<Int>) -> PayloadDescriptor.ParseError {
        .malformed(key.rawValue + "=" + text(value))
    }
}
