/// What the built-in origin sends for one request: a head, then pattern bytes from offset 0.
struct OriginResponse {
    let status: String
    /// Header lines other than `Connection`, without line ends.
    let fields: [String]
    /// Pattern bytes written after the head.
    let bodyBytes: Int
    /// The connection closes after this response.
    let close: Bool

    /// An empty-bodied answer that says why a request gets nothing.
    static func refusal(_ status: String, close: Bool) -> OriginResponse {
        OriginResponse(status: status, fields: ["Content-Length: 0"], bodyBytes: 0, close: close)
    }

    var head: String {
        "HTTP/1.1 \(status)\r\n" + fields.map { $0 + "\r\n" }.joined() + (close ? "Connection: close\r\n" : "") + "\r\n"
    }
}

/// Answers the requests of one listener.
protocol OriginService: Sendable {
    /// `upload` is what the connection found in the body of an `.upload` request, nil for any other.
    func answer(_ request: OriginRequest, upload: UploadCheck?) -> OriginResponse
}
