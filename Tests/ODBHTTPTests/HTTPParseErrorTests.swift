import Testing
@testable import ODBHTTP

@Suite struct HTTPParseErrorTests {
    static let all: [HTTPParseError] = [
        .headTooLarge, .tooManyHeaders, .bareLineFeed, .bareCarriageReturn, .invalidRequestLine, .invalidMethod,
        .invalidRequestTarget, .invalidStatusLine, .unsupportedVersion, .invalidFieldName, .missingColon,
        .whitespaceBeforeColon, .obsoleteLineFolding, .invalidFieldValue, .missingHost, .multipleHost, .invalidHost,
        .ambiguousFraming, .transferEncodingInHTTP10, .invalidTransferEncoding, .misplacedChunked,
        .unsupportedTransferEncoding, .invalidContentLength, .conflictingContentLength, .contentLengthTooLarge,
        .contentNotAllowed, .badChunkSize, .chunkSizeOverflow, .badChunkExtension, .missingChunkCRLF, .badTrailer,
        .chunkLineTooLong, .trailerSectionTooLarge,
    ]

    @Test func statusCodeHints() {
        #expect(HTTPParseError.headTooLarge.statusCode == 431)
        #expect(HTTPParseError.tooManyHeaders.statusCode == 431)
        #expect(HTTPParseError.unsupportedVersion.statusCode == 505)
        #expect(HTTPParseError.unsupportedTransferEncoding.statusCode == 501)
        #expect(HTTPParseError.contentLengthTooLarge.statusCode == 413)
        #expect(HTTPParseError.ambiguousFraming.statusCode == 400)
        #expect(HTTPParseError.misplacedChunked.statusCode == 400)
        #expect(HTTPParseError.badChunkSize.statusCode == 400)
    }

    @Test func descriptionsAreDistinct() {
        let descriptions = Set(Self.all.map(\.description))
        #expect(descriptions.count == Self.all.count)
        #expect(!descriptions.contains(""))
    }
}
