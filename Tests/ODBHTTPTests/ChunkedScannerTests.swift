import Testing
@testable import ODBHTTP

@Suite struct ChunkedScannerTests {
    private func scanAll(_ text: String, scanner: ChunkedScanner = ChunkedScanner()) -> ChunkScanStep {
        var scanner = scanner
        return scanner.scan(Array(text.utf8))
    }

    /// Feeds `bytes` in pieces cut at `cuts`, returning the end offset, the error, or nil if unfinished.
    private func scanInPieces(_ bytes: [UInt8], cuts: [Int]) -> ChunkScanStep {
        var scanner = ChunkedScanner()
        var start = 0
        for end in cuts + [bytes.count] where end >= start {
            switch scanner.scan(bytes[start..<end]) {
            case .needMore:
                start = end
            case let .complete(consumed):
                return .complete(consumed: start + consumed)
            case let .invalid(error):
                return .invalid(error)
            }
        }
        return .needMore(dataRemainingInChunk: scanner.dataRemainingInChunk)
    }

    static let validBodies = [
        "5\r\nhello\r\n0\r\n\r\n",
        "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n",
        "3;ext\r\nabc\r\n2;a=b;c=\"q \\\" d\"\r\nde\r\n0\r\nTrailer-A: x\r\nB:\r\n\r\n",
        "0\r\n\r\n",
        "000A\r\n0123456789\r\n00\r\n\r\n",
        "2 ; name = value\r\nhi\r\n0\r\n\r\n",
    ]

    @Test(arguments: validBodies)
    func findsTheEndOfValidBodies(body: String) {
        let next = "GET / HTTP/1.1\r\n"
        #expect(scanAll(body + next) == .complete(consumed: body.utf8.count))
    }

    @Test func reportsDataRemainingInsideAChunk() {
        var scanner = ChunkedScanner()
        #expect(scanner.scan(Array("10\r\nabcd".utf8)) == .needMore(dataRemainingInChunk: 12))
        #expect(scanner.dataRemainingInChunk == 12)
        scanner.skipData(10)
        #expect(scanner.dataRemainingInChunk == 2)
        #expect(scanner.scan(Array("ef\r\n".utf8)) == .needMore(dataRemainingInChunk: 0))
        #expect(scanner.scan(Array("0\r\n\r\nrest".utf8)) == .complete(consumed: 5))
        #expect(scanner.isComplete)
    }

    @Test func skippingAWholeChunkResumesAtItsCRLF() {
        var scanner = ChunkedScanner()
        #expect(scanner.scan(Array("100000\r\n".utf8)) == .needMore(dataRemainingInChunk: 0x100000))
        scanner.skipData(0x100000)
        #expect(scanner.dataRemainingInChunk == 0)
        #expect(scanner.scan(Array("X".utf8)) == .invalid(.missingChunkCRLF))
    }

    @Test func completeScannerConsumesNothingMore() {
        var scanner = ChunkedScanner()
        #expect(scanner.scan(Array("0\r\n\r\n".utf8)) == .complete(consumed: 5))
        #expect(scanner.scan(Array("GET".utf8)) == .complete(consumed: 0))
    }

    @Test func errorsAreSticky() {
        var scanner = ChunkedScanner()
        #expect(scanner.scan(Array("g\r\n".utf8)) == .invalid(.badChunkSize))
        #expect(scanner.scan(Array("0\r\n\r\n".utf8)) == .invalid(.badChunkSize))
    }

    @Test(arguments: [
        ("\r\n", HTTPParseError.badChunkSize),
        ("-1\r\n", .badChunkSize),
        ("0x5\r\n", .badChunkSize),
        (" 5\r\n", .badChunkSize),
        ("5g\r\n", .badChunkSize),
        ("+5\r\n", .badChunkSize),
        ("5 \r\nhello\r\n0\r\n\r\n", .badChunkExtension),
        ("5;\r\n", .badChunkExtension),
        ("5;=x\r\n", .badChunkExtension),
        ("5;a=\r\n", .badChunkExtension),
        ("5;a=b \r\n", .badChunkExtension),
        ("5;a=\"x\r\n", .badChunkExtension),
        ("5;a=\"\u{1}\"\r\n", .badChunkExtension),
        ("5;a\u{0}\r\n", .badChunkExtension),
        ("5;a=b\u{7F}\r\n", .badChunkExtension),
        ("5\n", .missingChunkCRLF),
        ("5;a\n", .missingChunkCRLF),
        ("5\rX", .missingChunkCRLF),
        ("5\r\nhelloX\r\n", .missingChunkCRLF),
        ("5\r\nhello\rX", .missingChunkCRLF),
        ("5\r\nhello\n0\r\n\r\n", .missingChunkCRLF),
        ("0\r\n\rX", .missingChunkCRLF),
        ("11111111111111111\r\n", .chunkSizeOverflow),
        ("00000000000000005\r\n", .chunkSizeOverflow),
        ("4000000000000001\r\n", .chunkSizeOverflow),
        ("FFFFFFFFFFFFFFFF\r\n", .chunkSizeOverflow),
        ("0\r\nA : b\r\n\r\n", .badTrailer),
        ("0\r\n folded\r\n\r\n", .badTrailer),
        ("0\r\nA: b\nC: d\r\n\r\n", .badTrailer),
        ("0\r\nA: b\rC\r\n\r\n", .badTrailer),
        ("0\r\nA: \u{0}\r\n\r\n", .badTrailer),
        ("0\r\nNoColon\r\n\r\n", .badTrailer),
        ("0\r\n:x\r\n\r\n", .badTrailer),
        ("0\r\n\n", .missingChunkCRLF),
    ])
    func rejects(body: String, error: HTTPParseError) {
        #expect(scanAll(body) == .invalid(error), "\(body.debugDescription)")
    }

    @Test func largestAllowedChunkSize() {
        #expect(scanAll("4000000000000000\r\n") == .needMore(dataRemainingInChunk: 1 << 62))
    }

    @Test func sizeLineLengthIsLimited() {
        let scanner = ChunkedScanner(maxLineLength: 16)
        #expect(scanAll("5;abcdefghijklmn\r\nhello\r\n0\r\n\r\n", scanner: scanner) == .complete(consumed: 30))
        #expect(scanAll("5;abcdefghijklmno\r\n", scanner: scanner) == .invalid(.chunkLineTooLong))
        #expect(scanAll("5;" + String(repeating: "a", count: 5000) + "\r\n") == .invalid(.chunkLineTooLong))
    }

    @Test func trailerSectionIsLimited() {
        let bytes = ChunkedScanner(maxTrailerBytes: 12)
        #expect(scanAll("0\r\nA: 12345\r\n\r\n", scanner: bytes) == .complete(consumed: 15))
        #expect(scanAll("0\r\nA: 123456\r\n\r\n", scanner: bytes) == .invalid(.trailerSectionTooLarge))
        let fields = ChunkedScanner(maxTrailerFields: 2)
        #expect(scanAll("0\r\nA: 1\r\nB: 2\r\n\r\n", scanner: fields) == .complete(consumed: 17))
        #expect(scanAll("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", scanner: fields) == .invalid(.trailerSectionTooLarge))
    }

    @Test func randomSplitsMatchOneFeed() {
        let corpus = Self.validBodies + [
            "5\r\nhello\r\n0\r\n\r\nNEXT",
            "3;a=\"x\\\"y\"\r\nabc\r\n0\r\nT: v\r\n\r\n",
            "5\r\nhelloX",
            "5;a=b \r\n",
            "0\r\nA : b\r\n\r\n",
            "11111111111111111\r\n",
            "5\r\nhel",
        ]
        var random = SplitMix64(state: 0x0DB)
        for body in corpus {
            let bytes = Array(body.utf8)
            let oneFeed = scanInPieces(bytes, cuts: [])
            #expect(scanInPieces(bytes, cuts: Array(0..<bytes.count)) == oneFeed, "byte at a time: \(body.debugDescription)")
            for _ in 0..<200 {
                let cuts = (0..<Int.random(in: 1...6, using: &random))
                    .map { _ in Int.random(in: 0...bytes.count, using: &random) }
                    .sorted()
                #expect(scanInPieces(bytes, cuts: cuts) == oneFeed, "cuts \(cuts): \(body.debugDescription)")
            }
        }
    }

    @Test func randomBodiesWithSkippedDataMatchOneFeed() {
        var random = SplitMix64(state: 42)
        for _ in 0..<100 {
            var body: [UInt8] = []
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                let size = Int.random(in: 1...300, using: &random)
                body += Array(String(size, radix: 16).utf8) + [13, 10]
                body += (0..<size).map { _ in UInt8.random(in: 0...255, using: &random) } + [13, 10]
            }
            body += Array("0\r\nX: y\r\n\r\n".utf8)
            #expect(scanInPieces(body, cuts: []) == .complete(consumed: body.count))

            // Hand each chunk's data to a stand-in for the kernel, scanning only the framing.
            var scanner = ChunkedScanner()
            var offset = 0
            var result = ChunkScanStep.needMore(dataRemainingInChunk: 0)
            while case .needMore = result {
                let sizeLineEnd = body[offset...].firstIndex(of: 10)! + 1
                result = scanner.scan(body[offset..<sizeLineEnd])
                offset = sizeLineEnd
                let remaining = scanner.dataRemainingInChunk
                if remaining > 0 {
                    scanner.skipData(remaining)
                    offset += Int(remaining)
                }
            }
            // The last framing line scanned is the final CRLF.
            #expect(result == .complete(consumed: 2))
            #expect(scanner.isComplete)
            #expect(offset == body.count)
        }
    }
}
