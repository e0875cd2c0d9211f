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
        var failure: HTTPParseError?
        headers.forEachValue(of: .contentLength) { value in
            for digits in ListElements(value) {
                guard !digits.isEmpty, digits.allSatisfy(ByteClass.isDigit) else {
                    failure = .invalidContentLength
                    return false
                }
                var parsed: UInt64 = 0
                for digit in digits {
                    let value = UInt64(digit - UInt8(ascii: "0"))
                    guard parsed <= (maxContentLength - value) / 10 else {
                        failure = .contentLengthTooLarge
                        return false
                    }
                    parsed = parsed * 10 + value
                }
                if let length, length != parsed {
                    failure = .conflictingContentLength
                    return false
                }
                length = parsed
            }
            return true
        }
        return failure.map { .failure($0) } ?? .success(length)
    }

    /// Whether Content-Length is a single field of one element written as `String(length)`
    /// writes a length: digits, with no leading zero. Such a field is forwarded as it is, and
    /// telling it needs no parse of its value.
    static func isCanonicalContentLength(_ headers: HTTPHeaders) -> Bool {
        guard let first = headers.index(of: .contentLength),
              headers.index(of: .contentLength, from: first + 1) == nil
        else { return false }
        return headers.withValue(at: first) { value in
            !value.isEmpty && value.allSatisfy(ByteClass.isDigit) && (value.count == 1 || value[0] != UInt8(ascii: "0"))
        }
    }

    /// The lowercased transfer codings of all Transfer-Encoding fields, in order.
    ///
    /// Every element must be a bare token. Parameters are refused (chunked has none and no
    /// coding the relay meets needs them), and so are empty elements, which RFC 9110 §5.6.1
    /// would have recipients skip: here they only appear in obfuscation attempts.
    static func transferCodings(_ headers: HTTPHeaders) -> Result<[String], HTTPParseError> {
        var codings: [String] = []
        var valid = true
        headers.forEachValue(of: .transferEncoding) { value in
            for coding in ListElements(value) {
                guard !coding.isEmpty, coding.allSatisfy(ByteClass.isToken) else {
                    valid = false
                    return false
                }
                codings.append(String(decoding: coding.map(ByteClass.lowercased), as: UTF8.self))
            }
            return true
        }
        return valid ? .success(codings) : .failure(.invalidTransferEncoding)
    }
}
