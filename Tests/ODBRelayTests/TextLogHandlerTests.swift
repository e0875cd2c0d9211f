import Foundation
import Logging
import Testing
@testable import ODBRelay

/// The relay's text log lines keep swift-log's StreamLogHandler format, which log readers and
/// docs/OPERATIONS.md expect, while being assembled without a String per line.
@Suite struct TextLogHandlerTests {
    @Test func aLineCarriesTimeLevelLabelSortedMetadataSourceAndMessage() throws {
        let lines = try logged { logger in
            logger.warning("upstream refused", metadata: ["server": "10.0.0.5:80", "client": "127.0.0.1"])
            logger.info("127.0.0.1 \"GET / HTTP/1.1\" 200 0 0.000100s none 10.0.0.5:80")
            logger.debug("not written: below the level")
        }
        try #require(lines.count == 2, "\(lines)")
        let stamp = #"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}"#
        #expect(lines[0].wholeMatch(of: try Regex(stamp + #" warning odb-test: client=127\.0\.0\.1 server=10\.0\.0\.5:80 \[ODBRelayTests\] upstream refused"#)) != nil,
                "\(lines[0])")
        #expect(lines[1].wholeMatch(of: try Regex(stamp + #" info odb-test: \[ODBRelayTests\] 127\.0\.0\.1 "GET / HTTP/1\.1" 200 0 0\.000100s none 10\.0\.0\.5:80"#)) != nil,
                "\(lines[1])")
    }

    @Test func handlerMetadataComesFirstAndAnEventsMetadataOverridesIt() throws {
        let lines = try logged { logger in
            logger[metadataKey: "worker"] = "0"
            logger[metadataKey: "route"] = "a"
            logger.notice("reloaded")
            logger.notice("reloaded", metadata: ["route": "b"])
        }
        try #require(lines.count == 2, "\(lines)")
        #expect(lines[0].hasSuffix(" notice odb-test: route=a worker=0 [ODBRelayTests] reloaded"), "\(lines[0])")
        #expect(lines[1].hasSuffix(" notice odb-test: route=b worker=0 [ODBRelayTests] reloaded"), "\(lines[1])")
    }

    /// The lines `body` logs at `info` and above, read back from a pipe.
    private func logged(_ body: (inout Logger) -> Void) throws -> [String] {
        let pipe = Pipe()
        var logger = Logger(label: "odb-test") {
            TextLogHandler(label: $0, logLevel: .info, output: pipe.fileHandleForWriting.fileDescriptor)
        }
        body(&logger)
        try pipe.fileHandleForWriting.close()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.hasSuffix("\n"), "every line ends in a newline")
        return text.split(separator: "\n").map(String.init)
    }
}
