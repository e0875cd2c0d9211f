/// The changes a gateway makes to heads it forwards (RFC 9110 §7.6, RFC 9112 §3.2.2).
///
/// Bodies are moved byte for byte, so Transfer-Encoding and Content-Length stay as received
/// even though RFC 9110 §7.6.1 lists Transfer-Encoding among fields to remove: the chunked
/// framing is forwarded with it. The only change to them is collapsing repeated equal
/// Content-Length values into one field, so the next hop cannot read them differently.
/// Trailer is kept: RFC 9110 §6.6.2 makes it end-to-end. Proxy-Authenticate and
/// Proxy-Authorization are kept: for a gateway they belong to the origin.
public struct ProxyHeaderRewrite: Sendable {
    /// Fields that describe one connection and never travel further (RFC 9110 §7.6.1).
    static let hopByHopFields = ["Connection", "Keep-Alive", "Proxy-Connection", "TE", "Upgrade"]
    /// Fields a peer may name in Connection that must survive it: dropping them would change
    /// how the forwarded bytes are framed or routed, which is what such a request is after.
    static let protectedFields = ["Content-Length", "Transfer-Encoding", "Host"]

    /// The relay's name in Via (RFC 9110 §7.6.3), e.g. a host name or `odb-redirect`.
    public let pseudonym: String

    /// Crashes unless `pseudonym` is a valid field value without commas; check configuration first.
    public init(pseudonym: String) {
        precondition(!pseudonym.isEmpty && HTTPField.isValidValue(pseudonym) && !pseudonym.contains(","),
                     "invalid Via pseudonym")
        self.pseudonym = pseudonym
    }

    /// The request to send upstream.
    ///
    /// - Parameters:
    ///   - clientAddress: The client's IP address, appended to X-Forwarded-For; must be a valid
    ///     field value (any textual IP address is).
    ///   - trustForwarded: Whether the client is a relay whose X-Forwarded-For and
    ///     X-Forwarded-Proto are kept; otherwise the list starts with `clientAddress` and the
    ///     protocol is the relay's own, since any client could have written them.
    ///   - forwardingUpgrade: Whether the relay passes the client's Upgrade on; if so Upgrade
    ///     is kept and `Connection: upgrade` sent so the origin sees the offer.
    public func request(
        _ head: RequestHead, clientAddress: String, trustForwarded: Bool = false, forwardingUpgrade: Bool = false
    ) -> RequestHead {
        var rewritten = head
        rewritten.headers = forwardable(head.headers, version: head.version, forwardingUpgrade: forwardingUpgrade)
        if case let .absolute(_, authority, _) = head.target, let path = head.target.path {
            // RFC 9112 §3.2.2: the target's authority wins over whatever Host said.
            rewritten.target = .origin(path)
            rewritten.headers.replaceAll(with: HTTPField(name: "Host", value: authority))
        }
        if !trustForwarded {
            rewritten.headers.remove(named: "x-forwarded-for")
            rewritten.headers.remove(named: "x-forwarded-proto")
        }
        rewritten.headers.appendListElement(clientAddress, to: "X-Forwarded-For")
        if !rewritten.headers.contains("X-Forwarded-Proto") {
            rewritten.headers.append(name: "X-Forwarded-Proto", value: "http")
        }
        return rewritten
    }

    /// The response to send to the client.
    ///
    /// - Parameter forwardingUpgrade: Whether this is a 101 the relay passes on; if so Upgrade
    ///   is kept and `Connection: upgrade` sent.
    public func response(_ head: ResponseHead, forwardingUpgrade: Bool = false) -> ResponseHead {
        var rewritten = head
        rewritten.headers = forwardable(head.headers, version: head.version, forwardingUpgrade: forwardingUpgrade)
        return rewritten
    }

    private func forwardable(_ received: HTTPHeaders, version: HTTPVersion, forwardingUpgrade: Bool) -> HTTPHeaders {
        var headers = received
        let named = headers.tokens(for: "Connection")
        let keep = forwardingUpgrade ? ["upgrade"] : []
        for name in Self.hopByHopFields.map({ $0.lowercased() }) + named
            where !keep.contains(name) && !Self.protectedFields.contains(where: { $0.lowercased() == name }) {
            headers.remove(named: name)
        }
        if forwardingUpgrade {
            headers.append(name: "Connection", value: "upgrade")
        }
        if case let .success(length?) = FramingFields.contentLength(headers),
           headers.values(for: "Content-Length") != [String(length)] {
            headers.replaceAll(with: HTTPField(name: "Content-Length", value: String(length)))
        }
        headers.appendListElement("\(version.major).\(version.minor) \(pseudonym)", to: "Via")
        return headers
    }
}
