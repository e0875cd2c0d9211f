import ODBRelay
import Testing

/// The check behind the kernel self-test: every wrong byte is found, and named by where it
/// came from.
@Suite struct IndexedStreamTests {
    static func stream(_ range: Range<Int>) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: range.count)
        bytes.withUnsafeMutableBytes { IndexedStream.fill($0, from: UInt64(range.lowerBound)) }
        return bytes
    }

    static func check(_ received: [UInt8], expected: Int) -> IndexedStreamCheck {
        received.withUnsafeBytes { IndexedStream.check($0, expected: expected) }
    }

    @Test func everyWordHoldsItsOwnIndex() {
        let bytes = Self.stream(0..<24)
        #expect(bytes == [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0])
        #expect(Self.stream(8 * 258 + 3..<8 * 258 + 6) == [0, 0, 0])
        #expect(Self.stream(8 * 258..<8 * 258 + 2) == [2, 1])
    }

    @Test func theWholeStreamIsIntact() {
        #expect(Self.check(Self.stream(0..<100_003), expected: 100_003) == .intact)
    }

    /// What a kernel without the backlog fix delivers: after a partial send at byte 40 000 of
    /// an skb that began at byte 20 000, the skb is sent again from its first byte.
    @Test func anSkbSentAgainFromItsStartIsFlaggedWithItsOrigin() {
        let length = 200_000
        let received = Array((Self.stream(0..<40_000) + Self.stream(20_000..<length)).prefix(length))
        let check = Self.check(received, expected: length)
        #expect(check == .displaced(at: 40_000, cameFrom: 20_000))
        #expect("\(check)" == "byte 40000 repeats stream byte 20000: 20000 bytes were sent twice")
    }

    /// Loopback skbs are 65 483 bytes, so a repeated block rarely starts on a word boundary.
    /// Its first two bytes happen to equal the expected ones (zeros of the high bytes of an
    /// index), so the first wrong byte is two further on; the distance is exact all the same.
    @Test func aRepeatOffTheWordGridIsStillTracedToItsOrigin() {
        let length = 300_000
        let received = Array((Self.stream(0..<130_966) + Self.stream(65_483..<length)).prefix(length))
        #expect(Self.check(received, expected: length) == .displaced(at: 130_968, cameFrom: 65_485))
    }

    @Test func lostBytesAreNamedByTheByteThatTookTheirPlace() {
        let received = Self.stream(0..<1_001) + Self.stream(5_003..<10_000)
        #expect(Self.check(received, expected: 10_000) == .displaced(at: 1_006, cameFrom: 5_008))
    }

    @Test func bytesFromNowhereHaveNoOrigin() {
        var received = Self.stream(0..<4_096)
        for index in 1_000..<1_100 { received[index] = 0xA5 }
        #expect(Self.check(received, expected: 4_096) == .displaced(at: 1_000, cameFrom: nil))
    }

    @Test func aSingleWrongByteNearTheEndIsFound() {
        var received = Self.stream(0..<4_099)
        received[4_097] ^= 1
        #expect(Self.check(received, expected: 4_099) == .displaced(at: 4_097, cameFrom: nil))
    }

    @Test func aShortOrLongStreamIsToldApartFromAWrongOne() {
        #expect(Self.check(Self.stream(0..<5_000), expected: 8_000) == .short(received: 5_000))
        #expect(Self.check(Self.stream(0..<8_000) + Self.stream(0..<16), expected: 8_000) == .long(received: 8_016))
        #expect(Self.check([], expected: 8) == .short(received: 0))
    }
}
