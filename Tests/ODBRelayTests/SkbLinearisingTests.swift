import Testing
@testable import ODBRelay

/// `SkbLinearising` as a table: a real link's segment size always linearises; a loopback's
/// only for long windows and windows of unknown length.
@Suite struct SkbLinearisingTests {
    static let loopback: Int32 = 65_483
    static let ethernet: Int32 = 1_448

    @Test(arguments: [
        (UInt64?.some(64 << 10), Int32?.some(loopback), false),
        (256 << 10, loopback, false),
        ((256 << 10) + 1, loopback, true),
        (1 << 20, loopback, true),
        (nil, loopback, true),
        (64 << 10, ethernet, true),
        (256 << 10, ethernet, true),
        (256 << 10, nil, true),
        (256 << 10, SkbLinearising.largeSegment, false),
        (256 << 10, SkbLinearising.largeSegment - 1, true),
    ] as [(UInt64?, Int32?, Bool)])
    func decidesByLengthAndSegment(length: UInt64?, segment: Int32?, linearises: Bool) {
        #expect(SkbLinearising.wanted(length: length, targetSegment: segment) == linearises)
    }
}
