/// Field lines under a fixed start line, so mutations land where framing is decided.
///
/// The first byte picks the start line; in the rest every LF becomes CRLF and CR is dropped,
/// since line endings are `HeadChecks`' business and would only make most inputs bare-LF
/// rejections here.
public enum FramingChecks {
    static let requestLines = [
        "POST / HTTP/1.1\r\nHost: a\r\n", "GET / HTTP/1.0\r\n", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n",
        "PUT http://a/x HTTP/1.1\r\nHost: b\r\n",
    ]
    static let statusLines = [
        "HTTP/1.1 200 OK\r\n", "HTTP/1.0 200 OK\r\n", "HTTP/1.1 204 No Content\r\n", "HTTP/1.1 101 Switching\r\n",
        "HTTP/1.1 304 Not Modified\r\n", "HTTP/1.1 100 Continue\r\n",
    ]

    static func check(_ input: UnsafeRawBufferPointer) -> Violation? {
        guard let (message, isRequest) = message(from: input) else { return nil }
        return message.withUnsafeBytes { isRequest ? HeadChecks.request($0) : HeadChecks.response($0) }
    }

    /// The head an input stands for, and whether it is a request.
    public static func message(from input: UnsafeRawBufferPointer) -> (bytes: [UInt8], isRequest: Bool)? {
        guard let selector = input.first else { return nil }
        let startLines = requestLines + statusLines
        let index = Int(selector) % startLines.count
        var message = Array(startLines[index].utf8)
        for byte in input.dropFirst() where byte != 13 {
            if byte == 10 { message.append(13) }
            message.append(byte)
        }
        return (message + [13, 10, 13, 10], index < requestLines.count)
    }
}
