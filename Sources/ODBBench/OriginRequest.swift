import Foundation
import ODBHTTP

/// A request head as the built-in origin understands it.
struct OriginRequest: Equatable {
    enum Target: Equatable {
        /// A path ending in `/bytes/N` (`/bytes/N`, `/fault/bytes/N`, ...): N pattern bytes.
        case bytes(Int)
        /// `/odb/v1/payload/<token>`: a claim of a held payload.
        case claim(PayloadToken)
        case unknown
        /// The head could not be read safely (bad request line, a request body, no HTTP/1.x).
        case malformed
    }

    let method: String
    let target: Target
    /// HTTP/1.0 without keep-alive, or `Connection: close`.
    let wantsClose: Bool
    /// The `ODB-Peer` value, exactly as sent; nil when absent or given more than once.
    let peerSecret: String?

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
        var peerSecrets: [String] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmed(of: " \t")
            if name == "connection" { connection = value.lowercased() }
            if name == VirtualPayload.peerHeader.lowercased() { peerSecrets.append(String(value)) }
            // A request body would have to be read and skipped; the bench never sends one.
            if (name == "content-length" && value != "0") || name == "transfer-encoding" { hasBody = true }
        }
        let close = connection.contains("close") || (parts[2] == "HTTP/1.0" && !connection.contains("keep-alive"))
        let path = String(parts[1])
        let target: Target
        if hasBody {
            target = .malformed
        } else if let token = PayloadToken(claimTarget: path) {
            target = .claim(token)
        } else if let size = Self.bytesRequested(path) {
            target = .bytes(size)
        } else {
            target = .unknown
        }
        self.init(method: String(parts[0]), target: target, wantsClose: close || hasBody,
                  peerSecret: peerSecrets.count == 1 ? peerSecrets[0] : nil)
    }

    init(method: String, target: Target, wantsClose: Bool, peerSecret: String? = nil) {
        self.method = method
        self.target = target
        self.wantsClose = wantsClose
        self.peerSecret = peerSecret
    }

    /// N for a path ending in `/bytes/N` with N a plain decimal the origin agrees to generate.
    private static func bytesRequested(_ path: String) -> Int? {
        guard let marker = path.range(of: "/bytes/", options: .backwards) else { return nil }
        let digits = path[marker.upperBound...]
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }), digits.utf8.count <= 12,
              let size = Int(digits), size <= maxBody else { return nil }
        return size
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
