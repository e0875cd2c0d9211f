import Foundation
import Logging
import Testing
@testable import ODBRelay

/// The relay's log lines keep their formats (swift-log's StreamLogHandler's for text,
/// JSONSerialization's compact sorted objects for JSON), which log readers and
/// docs/OPERATIONS.md expect, while being assembled as bytes.
@Suite struct LogHandlerTests {
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

    @Test func aJSONLineIsOneObjectOfStringsWithSortedKeysAndEscapedValues() throws {
        let awkward = "say \"hi\"\\ to /tmp\n\t\u{1}\u{7f} naïve ☃"
        let lines = try logged(json: true) { logger in
            logger.info("access", metadata: ["target": "\(awkward)", "status": "200", "message": "not the message"])
        }
        try #require(lines.count == 1, "\(lines)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: String], "\(lines[0])")
        #expect(object["target"] == awkward)
        #expect(object["status"] == "200")
        #expect(object["message"] == "access", "the handler's own fields win over metadata")
        #expect(object["level"] == "info")
        #expect(object["logger"] == "odb-test")
        #expect(object["source"] == "ODBRelayTests")
        #expect(object["time"]?.wholeMatch(of: #/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/#) != nil, "\(object)")
        let keys = lines[0].matches(of: #/"([a-z_]+)":"/#).map { String($0.output.1) }
        #expect(keys == ["level", "logger", "message", "source", "status", "target", "time"], "\(lines[0])")
        #expect(lines[0].contains(#"say \"hi\"\\ to /tmp\n\t\u0001"#), "escaped as JSONSerialization escapes: \(lines[0])")
    }

    @Test func aJSONLineCarriesAnErrorsDescriptionAndType() throws {
        struct Refused: Error, CustomStringConvertible { var description: String { "upstream refused" } }
        let lines = try logged(json: true) { logger in
            logger.error("connect failed", error: Refused())
        }
        try #require(lines.count == 1, "\(lines)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: String], "\(lines[0])")
        #expect(object["error.message"] == "upstream refused")
        #expect(object["error.type"]?.hasSuffix("Refused") == true, "\(object)")
    }

    /// The lines `body` logs at `info` and above, read back from a pipe.
    private func logged(json: Bool = false, _ body: (inout Logger) -> Void) throws -> [String] {
        let pipe = Pipe()
        let fd = pipe.fileHandleForWriting.fileDescriptor
        var logger = Logger(label: "odb-test") { label -> any LogHandler in
            json ? JSONLogHandler(label: label, logLevel: .info, output: fd) : TextLogHandler(label: label, logLevel: .info, output: fd)
        }
        body(&logger)
        try pipe.fileHandleForWriting.close()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.hasSuffix("\n"), "every line ends in a newline")
        return text.split(separator: "\n").map(String.init)
    }
}
