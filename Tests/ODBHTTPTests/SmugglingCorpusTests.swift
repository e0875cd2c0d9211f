import Foundation
import Testing
@testable import ODBHTTP

/// Known request-smuggling payloads: each must be refused with the error naming its trick.
@Suite struct SmugglingCorpusTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let request: String
        let error: HTTPParseError
        var testDescription: String { name }

        /// The seed file under Fuzz/Corpus/request-head holding this payload.
        var seedName: String {
            let slug = name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
            return "smuggling-" + String(slug).split(separator: "-").joined(separator: "-")
        }
    }

    static let post = "POST / HTTP/1.1\r\nHost: example.com\r\n"

    static let corpus: [Case] = [
        Case(name: "CL.TE", request: post + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n", error: .ambiguousFraming),
        Case(name: "TE.CL", request: post + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n", error: .ambiguousFraming),
        Case(name: "TE.TE xchunked", request: post + "Transfer-Encoding: xchunked\r\n\r\n", error: .misplacedChunked),
        Case(name: "TE space before colon", request: post + "Transfer-Encoding : chunked\r\n\r\n", error: .whitespaceBeforeColon),
        Case(name: "TE vertical tab", request: post + "Transfer-Encoding:\u{0B}chunked\r\n\r\n", error: .invalidFieldValue),
        Case(name: "TE form feed", request: post + "Transfer-Encoding: chunked\u{0C}\r\n\r\n", error: .invalidFieldValue),
        Case(name: "TE chunked twice", request: post + "Transfer-Encoding: chunked, chunked\r\n\r\n", error: .misplacedChunked),
        Case(name: "TE chunked in two fields", request: post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", error: .misplacedChunked),
        Case(name: "TE chunked then identity", request: post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n", error: .misplacedChunked),
        Case(name: "TE empty element", request: post + "Transfer-Encoding: ,chunked\r\n\r\n", error: .invalidTransferEncoding),
        Case(name: "TE quoted", request: post + "Transfer-Encoding: \"chunked\"\r\n\r\n", error: .invalidTransferEncoding),
        Case(name: "TE folded", request: post + "Transfer-Encoding:\r\n chunked\r\n\r\n", error: .obsoleteLineFolding),
        Case(name: "TE with NUL", request: post + "Transfer-Encoding: chunked\u{0}\r\n\r\n", error: .invalidFieldValue),
        Case(name: "TE in HTTP/1.0", request: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", error: .transferEncodingInHTTP10),
        Case(name: "duplicate CL", request: post + "Content-Length: 0\r\nContent-Length: 5\r\n\r\n", error: .conflictingContentLength),
        Case(name: "CL plus sign", request: post + "Content-Length: +5\r\n\r\n", error: .invalidContentLength),
        Case(name: "CL hex", request: post + "Content-Length: 0x5\r\n\r\n", error: .invalidContentLength),
        Case(name: "CL two numbers", request: post + "Content-Length: 5 5\r\n\r\n", error: .invalidContentLength),
        Case(name: "CL space before colon", request: post + "Content-Length : 5\r\n\r\n", error: .whitespaceBeforeColon),
        Case(name: "CL overflow", request: post + "Content-Length: 18446744073709551621\r\n\r\n", error: .contentLengthTooLarge),
        Case(name: "bare LF line ends", request: "POST / HTTP/1.1\nHost: a\nContent-Length: 5\n\n", error: .bareLineFeed),
        Case(name: "bare LF inside field", request: post + "X: a\nTransfer-Encoding: chunked\r\n\r\n", error: .bareLineFeed),
        Case(name: "bare CR inside field", request: post + "X: a\rTransfer-Encoding: chunked\r\n\r\n", error: .bareCarriageReturn),
        Case(name: "NUL in value", request: post + "X: a\u{0}b\r\n\r\n", error: .invalidFieldValue),
        Case(name: "two Hosts", request: post + "Host: evil.example\r\n\r\n", error: .multipleHost),
        Case(name: "Host list", request: "GET / HTTP/1.1\r\nHost: a.example, evil.example\r\n\r\n", error: .invalidHost),
        Case(name: "space in request line", request: "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", error: .invalidRequestLine),
    ]

    @Test(arguments: corpus)
    func refused(_ payload: Case) {
        #expect(requestFramingOf(payload.request) == .failure(payload.error))
    }

    @Test(arguments: corpus)
    func refusedHoweverTheBytesArrive(_ payload: Case) {
        let bytes = Array(payload.request.utf8)
        for split in 1..<bytes.count {
            var parser = HeadParser<RequestHead>()
            var result = parser.parse(bytes[..<split])
            if result == .needMore {
                result = parser.parse(bytes)
            }
            let framing: Result<BodyFraming, HTTPParseError>
            switch result {
            case let .complete(head, _): framing = requestFraming(head)
            case let .invalid(error): framing = .failure(error)
            case .needMore: framing = .success(.none)
            }
            #expect(framing == .failure(payload.error), "split at \(split)")
        }
    }

    /// The fuzzer and the llhttp differential (Fuzz/) start from these payloads, so they must
    /// stay in the seed corpus byte for byte.
    @Test(arguments: corpus)
    func isASeedOfTheFuzzCorpus(_ payload: Case) throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Fuzz/Corpus/request-head").standardized
        let seed = try Data(contentsOf: corpus.appendingPathComponent(payload.seedName))
        #expect(Array(seed) == Array(payload.request.utf8))
    }
}
