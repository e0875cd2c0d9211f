/// The field names the relay itself reads or edits.
///
/// A field's name is recognised once, when the field is parsed or added (`FieldSpan.known`),
/// so looking one of these up compares a byte per field instead of its name, and the rewrite
/// decides what a field is by one switch instead of comparing its name with lists of names.
public enum KnownFieldName: UInt8, CaseIterable, Sendable {
    case host
    case contentLength
    case transferEncoding
    case connection
    case keepAlive
    case proxyConnection
    case te
    case upgrade
    case expect
    case via
    case xForwardedFor
    case xForwardedProto
    /// Request field of the virtual payload protocol: the shared secret, proving a peer.
    case odbPeer
    /// Response field of the virtual payload protocol: a `PayloadDescriptor` in place of the body.
    case odbPayload

    /// The name as the relay writes it.
    public var spelling: StaticString {
        switch self {
        case .host: "Host"
        case .contentLength: "Content-Length"
        case .transferEncoding: "Transfer-Encoding"
        case .connection: "Connection"
        case .keepAlive: "Keep-Alive"
        case .proxyConnection: "Proxy-Connection"
        case .te: "TE"
        case .upgrade: "Upgrade"
        case .expect: "Expect"
        case .via: "Via"
        case .xForwardedFor: "X-Forwarded-For"
        case .xForwardedProto: "X-Forwarded-Proto"
        case .odbPeer: "ODB-Peer"
        case .odbPayload: "ODB-Payload"
        }
    }

    /// `spelling` as a String.
    public var text: String { spelling.description }

    /// The known name the token `name` is, compared without case; nil for any other name.
    init?(_ name: UnsafeRawBufferPointer) {
        guard let first = name.first, let slot = Self.slot(count: name.count, first: first) else { return nil }
        var candidates = Self.bySlot[slot]
        while candidates != 0 {
            let known = KnownFieldName(rawValue: UInt8(candidates.trailingZeroBitCount))!
            if known.spelling.withUTF8Buffer({ Self.equalIgnoringCase(name, spelling: UnsafeRawBufferPointer($0)) }) {
                self = known
                return
            }
            candidates &= candidates - 1
        }
        return nil
    }

    /// Whether the token `name` is `spelling`, a known name of the same length, in any case.
    ///
    /// Setting bit 5 of every byte folds a letter's case; of the other bytes in a token it
    /// changes only `^` (to `~`) and `_`, and the spellings have neither, nor any byte that
    /// bit 5 could make out of another token byte but `-` (from CR, which no name holds).
    /// So eight bytes are compared at once.
    private static func equalIgnoringCase(_ name: UnsafeRawBufferPointer, spelling: UnsafeRawBufferPointer) -> Bool {
        let fold: UInt64 = 0x2020_2020_2020_2020
        var index = 0
        while index + 8 <= name.count {
            let word = name.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            guard word | fold == spelling.loadUnaligned(fromByteOffset: index, as: UInt64.self) | fold else { return false }
            index += 8
        }
        while index < name.count {
            guard name[index] | 0x20 == spelling[index] | 0x20 else { return false }
            index += 1
        }
        return true
    }

    /// Names are told apart by their length and the low five bits of their first byte, which
    /// are a letter's whatever its case: nearly every other name finds no candidate at all.
    private static let longest = allCases.map(\.spelling.utf8CodeUnitCount).max()!

    private static func slot(count: Int, first: UInt8) -> Int? {
        count <= longest ? count << 5 | Int(first & 0x1F) : nil
    }

    /// For each slot, the cases whose spelling falls in it, one bit per raw value.
    private static let bySlot: [UInt32] = {
        var table = [UInt32](repeating: 0, count: (longest + 1) << 5)
        for known in allCases {
            let first = known.spelling.withUTF8Buffer { $0[0] }
            table[slot(count: known.spelling.utf8CodeUnitCount, first: first)!] |= 1 << known.rawValue
        }
        return table
    }()

    /// The known name `name` is, compared without case; nil for any other name.
    init?(_ name: String) {
        var name = name
        let known = name.withUTF8 { name in
            name.allSatisfy(ByteClass.isToken) ? KnownFieldName(UnsafeRawBufferPointer(name)) : nil
        }
        guard let known else { return nil }
        self = known
    }
}
