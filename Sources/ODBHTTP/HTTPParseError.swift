/// Why bytes on the wire were not accepted as an HTTP/1.x message.
///
/// Cases carry no peer data on purpose: the message is untrusted, and an error that echoed
/// it could smuggle arbitrary text into logs. Each case is one rule, so tests and metrics can
/// tell the attacks apart.
public enum HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The head did not end within `HeadLimits.maxHeadBytes`.
    case headTooLarge
    /// The head has more field lines than `HeadLimits.maxHeaderCount`.
    case tooManyHeaders
    /// A LF not preceded by CR; some parsers end lines there and some do not.
    case bareLineFeed
    /// A CR not followed by LF; some parsers end lines there and some do not.
    case bareCarriageReturn
    /// The request line is not `method SP request-target SP HTTP-version`.
    case invalidRequestLine
    /// The method is not a token.
    case invalidMethod
    /// The request-target has a forbidden byte or does not fit the method's form.
    case invalidRequestTarget
    /// The status line is not `HTTP-version SP 3DIGIT [SP reason-phrase]`.
    case invalidStatusLine
    /// A well-formed version other than HTTP/1.0 or HTTP/1.1.
    case unsupportedVersion
    /// A field line whose name is empty or not a token.
    case invalidFieldName
    /// A field line without a colon.
    case missingColon
    /// Whitespace between a field name and its colon (RFC 9112 §5.1 requires rejection).
    case whitespaceBeforeColon
    /// A field line starting with SP or HTAB: obsolete line folding.
    case obsoleteLineFolding
    /// A field value with a control byte other than HTAB, or DEL.
    case invalidFieldValue
    /// An HTTP/1.1 request without Host.
    case missingHost
    /// More than one Host field.
    case multipleHost
    /// A Host value that is not `uri-host [":" port]`.
    case invalidHost
    /// Both Transfer-Encoding and Content-Length: the classic smuggling ambiguity.
    case ambiguousFraming
    /// Transfer-Encoding in an HTTP/1.0 message, which framing cannot trust (RFC 9112 §6.1).
    case transferEncodingInHTTP10
    /// Transfer-Encoding that is not a comma-separated list of bare tokens.
    case invalidTransferEncoding
    /// chunked is missing from the end of a request's codings, or is applied twice.
    case misplacedChunked
    /// A request transfer coding other than chunked.
    case unsupportedTransferEncoding
    /// Content-Length that is not 1*DIGIT (per list element).
    case invalidContentLength
    /// Content-Length values that disagree.
    case conflictingContentLength
    /// Content-Length above 2^62, far beyond any real body.
    case contentLengthTooLarge
    /// A CONNECT request with Content-Length or Transfer-Encoding; CONNECT has no content.
    case contentNotAllowed
    /// A chunk-size that is not 1*HEXDIG.
    case badChunkSize
    /// A chunk-size above 2^62 or longer than 16 hex digits.
    case chunkSizeOverflow
    /// A chunk extension that is not `;` token [`=` (token / quoted-string)].
    case badChunkExtension
    /// Something other than CRLF after a chunk-size line, chunk data or the trailer section.
    case missingChunkCRLF
    /// A trailer line that is not a valid field line.
    case badTrailer
    /// A chunk-size line (with extensions) longer than the scanner's limit.
    case chunkLineTooLong
    /// A trailer section with too many bytes or fields.
    case trailerSectionTooLarge

    /// The status the relay should answer a client whose request failed this way.
    ///
    /// A failed response is the upstream's fault, so the relay answers 502 for those
    /// whatever this says.
    public var statusCode: Int {
        switch self {
        case .headTooLarge, .tooManyHeaders: return 431
        case .unsupportedVersion: return 505
        case .unsupportedTransferEncoding: return 501
        case .contentLengthTooLarge: return 413
        default: return 400
        }
    }

    public var description: String {
        switch self {
        case .headTooLarge: return "message head exceeds the size limit"
        case .tooManyHeaders: return "message head has too many header fields"
        case .bareLineFeed: return "line feed without a preceding carriage return"
        case .bareCarriageReturn: return "carriage return without a following line feed"
        case .invalidRequestLine: return "request line is not 'method SP target SP version'"
        case .invalidMethod: return "method is not a token"
        case .invalidRequestTarget: return "request target is malformed or not allowed for the method"
        case .invalidStatusLine: return "status line is not 'version SP 3DIGIT SP reason'"
        case .unsupportedVersion: return "HTTP version is neither 1.0 nor 1.1"
        case .invalidFieldName: return "header field name is empty or not a token"
        case .missingColon: return "header field line has no colon"
        case .whitespaceBeforeColon: return "whitespace between header field name and colon"
        case .obsoleteLineFolding: return "header field line starts with whitespace (obsolete line folding)"
        case .invalidFieldValue: return "header field value contains a control character"
        case .missingHost: return "HTTP/1.1 request has no Host header field"
        case .multipleHost: return "request has more than one Host header field"
        case .invalidHost: return "Host header field is not a valid host and port"
        case .ambiguousFraming: return "message has both Transfer-Encoding and Content-Length"
        case .transferEncodingInHTTP10: return "HTTP/1.0 message has Transfer-Encoding"
        case .invalidTransferEncoding: return "Transfer-Encoding is not a list of transfer codings"
        case .misplacedChunked: return "chunked is not the final transfer coding, or is applied twice"
        case .unsupportedTransferEncoding: return "request transfer coding other than chunked is not supported"
        case .invalidContentLength: return "Content-Length is not a decimal number"
        case .conflictingContentLength: return "Content-Length values disagree"
        case .contentLengthTooLarge: return "Content-Length is implausibly large"
        case .contentNotAllowed: return "CONNECT request has Content-Length or Transfer-Encoding"
        case .badChunkSize: return "chunk size is not hexadecimal"
        case .chunkSizeOverflow: return "chunk size is too large"
        case .badChunkExtension: return "chunk extension is malformed"
        case .missingChunkCRLF: return "chunk framing lacks CRLF"
        case .badTrailer: return "trailer field line is malformed"
        case .chunkLineTooLong: return "chunk size line is too long"
        case .trailerSectionTooLarge: return "trailer section is too large"
        }
    }
}
