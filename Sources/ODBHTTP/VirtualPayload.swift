/// The names the virtual payload protocol puts on the wire (docs/DESIGN.md, "Virtual payload").
public enum VirtualPayload {
    /// Request header: the shared secret, proving the sender a peer.
    public static let peerHeader = KnownFieldName.odbPeer.text
    /// Response header: a `PayloadDescriptor` in place of the body.
    public static let payloadHeader = KnownFieldName.odbPayload.text
    /// The request target of a claim is this prefix followed by the token's hex.
    public static let claimPathPrefix = "/odb/v1/payload/"
    /// The protocol version a descriptor carries as `v=`.
    public static let version = 1

    /// Removes every protocol field, for a message from or to someone outside the peer set.
    /// - Returns: whether any was present.
    @discardableResult
    public static func strip(_ headers: inout HTTPHeaders) -> Bool {
        let present = headers.contains(.odbPeer) || headers.contains(.odbPayload)
        if present {
            headers.remove(.odbPeer)
            headers.remove(.odbPayload)
        }
        return present
    }
}

/// An unguessable single-use name for one held payload: 128 bits from the kernel's random source.
public struct PayloadToken: Hashable, Sendable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A fresh token from the system's cryptographically secure generator (getrandom(2) on Linux).
    public static func random() -> PayloadToken {
        var generator = SystemRandomNumberGenerator()
        return PayloadToken(high: generator.next(), low: generator.next())
    }

    /// 32 lowercase hex digits, the form on the wire; nil for anything else.
    public init?(hex: some StringProtocol) {
        var text = String(hex)
        guard let token = text.withUTF8({ PayloadToken(hexDigits: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = token
    }

    /// `init(hex:)` on the digits' bytes.
    init?(hexDigits digits: UnsafeRawBufferPointer) {
        guard digits.count == 32, let high = Self.word(digits[0..<16]), let low = Self.word(digits[16..<32]) else { return nil }
        self.init(high: high, low: low)
    }

    /// The token named by a claim's request target, if it is one.
    public init?(claimTarget target: String) {
        guard target.hasPrefix(VirtualPayload.claimPathPrefix) else { return nil }
        self.init(hex: target.dropFirst(VirtualPayload.claimPathPrefix.count))
    }

    public var hex: String {
        String(unsafeUninitializedCapacity: 32) { text in
            writeHex(into: UnsafeMutableBufferPointer(rebasing: text[0..<32]))
            return 32
        }
    }

    /// Appends the 32 hex digits to `bytes`, for a message built as bytes.
    public func appendHex(to bytes: inout [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: 32))
        bytes.withUnsafeMutableBufferPointer { buffer in
            writeHex(into: UnsafeMutableBufferPointer(rebasing: buffer[start..<start + 32]))
        }
    }

    /// Writes the 32 hex digits into `digits`, which holds exactly 32 bytes.
    private func writeHex(into digits: UnsafeMutableBufferPointer<UInt8>) {
        Self.writeHex(high, into: UnsafeMutableBufferPointer(rebasing: digits[0..<16]))
        Self.writeHex(low, into: UnsafeMutableBufferPointer(rebasing: digits[16..<32]))
    }

    /// The request target that claims this token.
    public var claimTarget: String { VirtualPayload.claimPathPrefix + hex }

    /// What `status` and logs show instead of the token: 8 hex digits of a one-way mix, enough to
    /// tell payloads apart and useless for claiming.
    public var digest: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in hex.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return String(unsafeUninitializedCapacity: 8) { text in
            Self.writeHex(hash >> 32, into: UnsafeMutableBufferPointer(rebasing: text[0..<8]))
            return 8
        }
    }

    public var description: String { digest }

    /// Writes the low `digits.count` nibbles of `word` as lowercase hex, most significant first.
    private static func writeHex(_ word: UInt64, into digits: UnsafeMutableBufferPointer<UInt8>) {
        var rest = word
        for index in digits.indices.reversed() {
            let nibble = UInt8(truncatingIfNeeded: rest & 0xf)
            digits[index] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
            rest >>= 4
        }
    }

    private static func word(_ digits: Slice<UnsafeRawBufferPointer>) -> UInt64? {
        var value: UInt64 = 0
        for digit in digits {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value << 4 | UInt64(digit - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = value << 4 | UInt64(digit - UInt8(ascii: "a") + 10)
            default: return nil
            }
        }
        return value
    }
}

/// How a body that has bytes is framed: a forwarded request's or response's, or a held one's
/// where it is held, which the claim answer repeats.
public enum PayloadFraming: Equatable, Sendable {
    case length(UInt64)
    case chunked
    /// Read until the holder's upstream closes.
    case close

    /// The framing's name, as descriptors and `status` write it.
    public var name: String {
        switch self {
        case .length: "length"
        case .chunked: "chunked"
        case .close: "close"
        }
    }

    /// The framing of a message's body bytes, or nil for a message that has none (no body, an
    /// empty one, or a tunnel, whose bytes are no message's body).
    public init?(_ framing: BodyFraming) {
        switch framing {
        case let .contentLength(length) where length > 0: self = .length(length)
        case .chunked: self = .chunked
        case .untilClose: self = .close
        case .none, .contentLength, .tunnel: return nil
        }
    }
}
