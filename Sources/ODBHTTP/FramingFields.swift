/// Strict reading of Content-Length and Transfer-Encoding, the two fields a smuggling
/// attack plays on.
enum FramingFields {
    /// The largest body accepted; anything larger is an attack or a bug, never a real upload.
    static let maxContentLength: UInt64 = 1 << 62

    /// The one length all Content-Length fields and list elements agree on.
    ///
    /// Each element must be 1*DIGIT: no sign, hex, inner or empty elements. Repeated equal
    /// values are accepted as RFC 9110 §8.6 allows (`ProxyHeaderRewrite` then forwards one
    /// field); differing values are refused.
    static func contentLength(_ headers: HTTPHeaders) -> Result<UInt64?, HTTPParseError> {
        var length: UInt64?
        for value in headers.values(for: "Content-Length") {
            for element in value.utf8.split(separator: ByteClass.comma, omittingEmptySubsequences: false) {
                let digits = trimmed(element)
                guard !digits.isEmpty, digits.allSatisfy(ByteClass.isDigit) else {
                    return .failure(.invalidContentLength)
                }
                var parsed: UInt64 = 0
                for digit in digits {
                    let value = UInt64(digit - UInt8(ascii: "0"))
                    guard parsed <= (maxContentLength - value) / 10 else { return .failure(.contentLengthTooLarge) }
                    parsed = parsed * 10 + value
                }
                if let length, length != parsed {
                    return .failure(.conflictingContentLength)
                }
                length = parsed
            }
        }
        return .success(length)
    }

    /// The lowercased transfer codings of all Transfer-Encoding fields, in order.
    ///
    /// Every element must be a bare token. Parameters are refused (chunked has none and no
    /// coding the relay meets needs them), and so are empty elements, which RFC 9110 §5.6.1
    /// would have recipients skip: here they only appear in obfuscation attempts.
    static func transferCodings(_ headers: HTTPHeaders) -> Result<[String], HTTPParseError> {
        var codings: [String] = []
        for value in headers.values(for: "Transfer-Encoding") {
            for element in value.utf8.split(separator: ByteClass.comma, omittingEmptySubsequences: false) {
                let coding = trimmed(element)
                guard !coding.isEmpty, coding.allSatisfy(ByteClass.isToken) else {
                    return .failure(.invalidTransferEncoding)
                }
                codings.append(String(decoding: coding.map(ByteClass.lowercased), as: UTF8.self))
            }
        }
        return .success(codings)
    }

    private static func trimmed(_ bytes: Substring.UTF8View.SubSequence) -> Substring.UTF8View.SubSequence {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, ByteClass.isWhitespace(bytes[start]) {
            start = bytes.index(after: start)
        }
        while start < end, ByteClass.isWhitespace(bytes[bytes.index(before: end)]) {
            end = bytes.index(before: end)
        }
        return bytes[start..<end]
    }
}
