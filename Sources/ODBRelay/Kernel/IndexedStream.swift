/// A byte stream in which every 8-byte word holds its own index (little-endian), so a block
/// that arrives in the wrong place names the stream offset it was written at.
public enum IndexedStream {
    /// The byte at stream offset `offset`.
    @inline(__always)
    public static func byte(at offset: UInt64) -> UInt8 {
        UInt8(truncatingIfNeeded: (offset / 8) >> ((offset % 8) * 8))
    }

    /// Writes the stream's bytes from `offset` on into `buffer`.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer, from offset: UInt64) {
        for index in 0..<buffer.count {
            buffer[index] = byte(at: offset + UInt64(index))
        }
    }

    /// What a reader received, compared with the first `expected` bytes of the stream.
    public static func check(_ received: UnsafeRawBufferPointer, expected: Int) -> IndexedStreamCheck {
        let compared = min(received.count, expected)
        // Whole words first (the common, intact case), then byte by byte from the first word
        // that differs.
        var firstUnchecked = 0
        while firstUnchecked + 8 <= compared,
              UInt64(littleEndian: received.loadUnaligned(fromByteOffset: firstUnchecked, as: UInt64.self)) == UInt64(firstUnchecked / 8) {
            firstUnchecked += 8
        }
        for offset in firstUnchecked..<compared where received[offset] != byte(at: UInt64(offset)) {
            return .displaced(at: UInt64(offset), cameFrom: origin(of: offset, in: received, expected: expected))
        }
        if received.count < expected { return .short(received: UInt64(received.count)) }
        if received.count > expected { return .long(received: UInt64(received.count)) }
        return .intact
    }

    /// The stream offset the byte at `position` was written at, when the bytes from there on
    /// are a run of the stream (one of the next 8 positions starts a whole word; its index
    /// gives the run's start, and the following bytes must agree with it).
    static func origin(of position: Int, in received: UnsafeRawBufferPointer, expected: Int) -> UInt64? {
        let confirm = min(16, received.count - position)
        for wordStart in position..<max(position, min(position + 8, received.count - 7)) {
            var index: UInt64 = 0
            for byte in (0..<8).reversed() {
                index = index << 8 | UInt64(received[wordStart + byte])
            }
            let distance = UInt64(wordStart - position)
            guard index < UInt64(expected / 8 + 1), index * 8 >= distance else { continue }
            let candidate = index * 8 - distance
            if (0..<confirm).allSatisfy({ received[position + $0] == byte(at: candidate + UInt64($0)) }) {
                return candidate
            }
        }
        return nil
    }
}

/// The outcome of comparing received bytes with an indexed stream.
public enum IndexedStreamCheck: Equatable, Sendable, CustomStringConvertible {
    /// Exactly the expected bytes, in order.
    case intact
    /// The byte at `at` is the first wrong one; `cameFrom` is the stream offset it was written
    /// at (earlier than `at`: bytes sent twice; later: bytes lost), nil when it is no byte of
    /// the stream. A displaced block may begin a few bytes before `at` with bytes that happen
    /// to equal the expected ones (the zero high bytes of an index); the distance is exact.
    case displaced(at: UInt64, cameFrom: UInt64?)
    /// Every byte that arrived is right, but the stream ended early.
    case short(received: UInt64)
    /// Every expected byte is right, and more followed.
    case long(received: UInt64)

    public var description: String {
        switch self {
        case .intact:
            return "every byte arrived once, in order"
        case let .displaced(at, cameFrom?) where cameFrom < at:
            return "byte \(at) repeats stream byte \(cameFrom): \(at - cameFrom) bytes were sent twice"
        case let .displaced(at, cameFrom?):
            return "byte \(at) is stream byte \(cameFrom): \(cameFrom - at) bytes were lost"
        case let .displaced(at, nil):
            return "byte \(at) and the bytes after it are no part of the stream"
        case let .short(received):
            return "only \(received) bytes arrived, all in order"
        case let .long(received):
            return "\(received) bytes arrived, more than were sent"
        }
    }
}
