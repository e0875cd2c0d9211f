import Testing
@testable import ODBRelay

/// `SourceBuffer`'s choice: twice the memory only for an upstream's body of 2 to 8 MiB, given at
/// once, the same 1 MiB window for every full size, and the larger memory given back when the
/// upstream leaves the verdict map.
@Suite struct SourceBufferTests {
    static let mib: UInt64 = 1 << 20

    @Test(arguments: [
        (UInt64?.some(4 << 20), true, 8 << 20),
        (UInt64?.some(8 << 20), true, 8 << 20),
        (UInt64?.some((2 << 20) + 1), true, 8 << 20),
        (UInt64?.some(2 << 20), true, 4 << 20),
        (UInt64?.some(1 << 20), true, 4 << 20),
        (UInt64?.some((8 << 20) + 1), true, 4 << 20),
        (UInt64?.some(64 << 20), true, 4 << 20),
        (UInt64?.none, true, 4 << 20),
        (UInt64?.some(4 << 20), false, 4 << 20),
    ])
    func fullMemory(length: UInt64?, joinsPerBody: Bool, memory: Int) {
        let size = SourceBuffer.full(declaredLength: length, joinsPerBody: joinsPerBody)
        #expect(size.memory == memory, "\(String(describing: length)) joining per body: \(joinsPerBody)")
        #expect(size.window == 1 << 20)
        #expect(SourceBuffer.largest.memory >= size.memory)
        // Only the larger memory is given before the reader's pace is known.
        #expect(size.waitsForThePace == (memory == 4 << 20))
    }

    @Test func leavingTheMapGivesTheLargerMemoryBack() {
        let roomy = SourceBuffer.full(declaredLength: 4 * Self.mib, joinsPerBody: true)
        let standard = SourceBuffer.full(declaredLength: nil, joinsPerBody: true)
        #expect(SourceBuffer.afterLeaving(roomy.memory) == standard)
        #expect(SourceBuffer.afterLeaving(standard.memory) == nil)
        #expect(SourceBuffer.afterLeaving(SourceBuffer.starting.memory) == nil)
        #expect(SourceBuffer.afterLeaving(nil) == nil)
        // A spliced body may have grown an upstream past both (`SpliceMemory`); that stays.
        #expect(SourceBuffer.afterLeaving(32 << 20) == nil)
    }

    @Test func aSlowReadersSourceStartsBelowEveryFullSize() {
        #expect(SourceBuffer.starting.memory < SourceBuffer.full(declaredLength: nil, joinsPerBody: false).memory)
        #expect(SourceBuffer.starting.window < 1 << 20)
    }
}
