import ODBHTTP

/// `ChunkedScanner` must find the same end (or the same fault) however the body is cut into
/// reads and whichever chunk data is skipped rather than scanned, as the kernel path does.
enum ChunkedChecks {
    static func scanner() -> ChunkedScanner {
        // Small limits, so the fuzzer reaches them.
        ChunkedScanner(maxLineLength: 64, maxTrailerBytes: 256, maxTrailerFields: 8)
    }

    static func check(_ input: UnsafeRawBufferPointer) -> Violation? {
        var whole = scanner()
        let expected = whole.scan(input)
        var random = InputSeededRandom(seed: input)
        let pieces = piecewise(input, random: &random)
        guard pieces == expected else {
            return Violation("scanned in pieces the body gives \(pieces), whole \(expected)")
        }
        if case let .complete(consumed) = expected {
            guard consumed > 0 && consumed <= input.count else { return Violation("complete after \(consumed) bytes") }
            var prefix = scanner()
            guard prefix.scan(UnsafeRawBufferPointer(rebasing: input[..<consumed])) == expected else {
                return Violation("the body's own bytes do not end it")
            }
        }
        return nil
    }

    /// Scans `input` in random reads, skipping chunk data (as `skipData`) on a coin toss.
    private static func piecewise(_ input: UnsafeRawBufferPointer, random: inout InputSeededRandom) -> ChunkScanStep {
        var scanner = scanner()
        let skipsData = random.next() & 1 == 0
        var offset = 0
        var result = ChunkScanStep.needMore(dataRemainingInChunk: 0)
        while offset < input.count {
            let left = input.count - offset
            let length = 1 + Int(random.next() % UInt64(min(left, 32)))
            if skipsData && scanner.dataRemainingInChunk > 0 {
                let skipped = min(scanner.dataRemainingInChunk, UInt64(length))
                scanner.skipData(skipped)
                offset += Int(skipped)
                result = .needMore(dataRemainingInChunk: scanner.dataRemainingInChunk)
                continue
            }
            result = scanner.scan(UnsafeRawBufferPointer(rebasing: input[offset..<(offset + length)]))
            switch result {
            case let .complete(consumed): return .complete(consumed: offset + consumed)
            case .invalid: return result
            case .needMore: offset += length
            }
        }
        return result
    }
}

/// A deterministic generator seeded by the input, so every crash reproduces from its file:
/// FNV-1a of the input, then Knuth's MMIX linear congruential steps (upper bits used).
struct InputSeededRandom {
    private var state: UInt64

    init(seed input: UnsafeRawBufferPointer) {
        state = input.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }

    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 17
    }
}
