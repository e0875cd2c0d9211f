import Foundation
import ODBHTTP

/// A request head as the built-in origin understands it.
struct OriginRequest: Equatable {
    enum Target: Equatable {
        /// A path ending in `/bytes/N` (`/bytes/N`, `/fault/bytes/N`, ...): N pattern bytes.
        case bytes(Int)
        /// `/odb/v1/payload/<token>`: a claim of a held payload.
        case claim(PayloadToken)
        /// A POST or PUT to a path ending in `/upload`, its body framed so: pattern bytes the
        /// origin reads and checks.
        case upload(BodyFraming)
        case unknown
        /// The head could not be read safely (bad request line, a body the origin does not
        /// read, no HTTP/1.x).
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

    /// The request whose complete head, blank line included, is `bytes`, read with the relay's
    /// own head parser, so that the origin's cost per request stays small beside a relay's.
    init(head bytes: UnsafeRawBufferPointer) {
        guard case let .complete(head, _) = RequestHead.parse(bytes),
              head.version == .http1_1 || head.version == .http1_0 else {
            self.init(method: "", target: .malformed, wantsClose: true)
            return
        }
        let path = head.target.description
        let framing = requestFraming(head)
        let target: Target
        if (head.method == "POST" || head.method == "PUT") && path.hasSuffix("/upload"),
           case .success(let body) = framing {
            target = .upload(body)
        } else if framing != .success(.none) && framing != .success(.contentLength(0)) {
            // Any other request body would have to be read and skipped; the bench sends none.
            target = .malformed
        } else if let token = PayloadToken(claimTarget: path) {
            target = .claim(token)
        } else if let size = Self.bytesRequested(path) {
            target = .bytes(size)
        } else {
            target = .unknown
        }
        let peerSecrets = head.headers.values(for: VirtualPayload.peerHeader)
        self.init(method: head.method, target: target, wantsClose: !keepAlive(request: head) || target == .malformed,
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
