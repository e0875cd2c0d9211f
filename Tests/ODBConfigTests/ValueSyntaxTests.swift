import Testing
@testable import ODBConfig

@Suite struct ValueSyntaxTests {
    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)), ("10s", .seconds(10)), ("2m", .seconds(120)), ("1h", .seconds(3600)),
        ("30", .seconds(30)), ("0s", .zero), ("5 s", .seconds(5)),
    ])
    func durations(text: String, expected: Duration) throws {
        #expect(try ValueSyntax.duration(text) == expected)
    }

    @Test(arguments: [
        ("", "invalid duration"), ("s", "invalid duration"), ("-5s", "invalid duration"), ("1.5s", "unknown duration unit"),
        ("10d", "unknown duration unit \"d\""), ("10S", "unknown duration unit"), ("99999999999999999999s", "too large"),
        ("9223372036854775807h", "too large"),
    ])
    func durationRejects(text: String, reason: String) {
        do {
            let value = try ValueSyntax.duration(text)
            Issue.record("\"\(text)\" parsed as \(value)")
        } catch {
            #expect(error.reason.contains(reason), "\(error.reason)")
        }
    }

    @Test(arguments: [
        ("0", 0), ("512", 512), ("64KiB", 65536), ("8MiB", 8 << 20), ("1GiB", 1 << 30), ("2 KiB", 2048),
    ])
    func sizes(text: String, expected: Int) throws {
        #expect(try ValueSyntax.byteSize(text) == expected)
    }

    @Test(arguments: [
        ("64KB", "unknown size unit \"KB\""), ("1MB", "unknown size unit"), ("64k", "unknown size unit"),
        ("64kib", "unknown size unit"), ("1.5MiB", "unknown size unit"), ("KiB", "invalid size"), ("-1", "invalid size"),
        ("99999999999GiB", "too large"),
    ])
    func sizeRejects(text: String, reason: String) {
        do {
            let value = try ValueSyntax.byteSize(text)
            Issue.record("\"\(text)\" parsed as \(value)")
        } catch {
            #expect(error.reason.contains(reason), "\(error.reason)")
            #expect(error.reason.contains("KiB, MiB or GiB") || error.reason.contains("too large"))
        }
    }

    @Test func formatsSizesInTheLargestExactUnit() {
        #expect(ValueSyntax.formatByteSize(1 << 20) == "1MiB")
        #expect(ValueSyntax.formatByteSize(256 << 10) == "256KiB")
        #expect(ValueSyntax.formatByteSize(1500) == "1500")
        #expect(ValueSyntax.formatByteSize(0) == "0")
    }
}
