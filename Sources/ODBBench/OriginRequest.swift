/// A request head as the built-in origin understands it.
struct OriginRequest: Equatable {
    enum Target: Equatable {
        /// `/bytes/N`: N pattern bytes.
        case bytes(Int)
        case unknown
        /// The head could not be read safely (bad request line, a request body, no HTTP/1.x).
        case malformed
    }

    let method: String
    let target: Target
    /// HTTP/1.0 without keep-alive, or `Connection: close`.
    let wantsClose: Bool

    /// The largest body the origin agrees to generate.
    static let maxBody = 64 << 30

    init(head: String) {
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let parts = lines.first?.split(separator: " ", omittingEmptySubsequences: false) ?? []
        guard parts.count == 3, parts[2] == "HTTP/1.1" || parts[2] == "HTTP/1.0" else {
            self.init(method: "", target: .malformed, wantsClose: true)
            return
        }
        var connection = ""
        var hasBody = false
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmed(of: " \t").lowercased()
            if name == "connection" { connection = value }
            // A request body would have to be read and skipped; the bench never sends one.
            if (name == "content-length" && value != "0") || name == "transfer-encoding" { hasBody = true }
        }
        let close = connection.contains("close") || (parts[2] == "HTTP/1.0" && !connection.contains("keep-alive"))
        let path = parts[1]
        let target: Target
        if hasBody {
            target = .malformed
        } else if path.hasPrefix("/bytes/"), let size = Int(path.dropFirst(7)), (0...Self.maxBody).contains(size) {
            target = .bytes(size)
        } else {
            target = .unknown
        }
        self.init(method: String(parts[0]), target: target, wantsClose: close || hasBody)
    }

    init(method: String, target: Target, wantsClose: Bool) {
        self.method = method
        self.target = target
        self.wantsClose = wantsClose
    }
}

fileprivate extension Substring {
    /// The substring without leading and trailing characters from `set`.
    func trimmed(of set: String) -> Substring {
        var text = self
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return text
    }
}
