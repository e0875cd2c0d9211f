/// The changes a gateway makes to heads it forwards (RFC 9110 §7.6, RFC 9112 §3.2.2).
///
/// Bodies are moved byte for byte, so Transfer-Encoding and Content-Length stay as received
/// even though RFC 9110 §7.6.1 lists Transfer-Encoding among fields to remove: the chunked
/// framing is forwarded with it. The only change to them is writing Content-Length, when it
/// arrived otherwise, as one field of one value with no leading zero: repeated equal values
/// collapse into one and 007 becomes 7, so the next hop cannot read them differently.
/// Trailer is kept: RFC 9110 §6.6.2 makes it end-to-end. Proxy-Authenticate and
/// Proxy-Authorization are kept: for a gateway they belong to the origin.
public struct ProxyHeaderRewrite: Sendable {
    static let upgradeConnection = HTTPField(name: "Connection", value: "upgrade")
    static let forwardedProto = HTTPField(name: "X-Forwarded-Proto", value: "http")
    /// Bytes the edits of one rewrite usually append (the fields above, Via, and a client
    /// address joined to a forwarded list). The parser leaves this room after a field section,
    /// so a parsed head is edited in place; a shared one is copied once, with the room.
    static let editRoom = 256

    /// The relay's name in Via (RFC 9110 §7.6.3), e.g. a host name or `odb-redirect`.
    public let pseudonym: String
    /// `pseudonym` in wire form.
    private let pseudonymBytes: [UInt8]

    /// Crashes unless `pseudonym` is a valid field value without commas; check configuration first.
    public init(pseudonym: String) {
        precondition(!pseudonym.isEmpty && HTTPField.isValidValue(pseudonym) && !pseudonym.contains(","),
                     "invalid Via pseudonym")
        self.pseudonym = pseudonym
        var bytes: [UInt8] = []
        IsomorphicText.encode(pseudonym, into: &bytes)
        pseudonymBytes = bytes
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
        _ head: consuming RequestHead, clientAddress: String, trustForwarded: Bool = false, forwardingUpgrade: Bool = false
    ) -> RequestHead {
        makeForwardable(&head.headers, version: head.version, forwardingUpgrade: forwardingUpgrade, dropsForwarding: !trustForwarded)
        if case let .absolute(_, authority, _) = head.target, let path = head.target.path {
            // RFC 9112 §3.2.2: the target's authority wins over whatever Host said.
            head.target = .origin(path)
            head.headers.replaceAll(with: HTTPField(name: "Host", value: authority))
        }
        head.headers.appendListElement(clientAddress, to: .xForwardedFor)
        if !head.headers.contains(.xForwardedProto) {
            head.headers.append(Self.forwardedProto)
        }
        // A plain `return` of a consuming parameter copies the head and then destroys it.
        return consume head
    }

    /// The response to send to the client.
    ///
    /// - Parameter forwardingUpgrade: Whether this is a 101 the relay passes on; if so Upgrade
    ///   is kept and `Connection: upgrade` sent.
    public func response(_ head: consuming ResponseHead, forwardingUpgrade: Bool = false) -> ResponseHead {
        makeForwardable(&head.headers, version: head.version, forwardingUpgrade: forwardingUpgrade, dropsForwarding: false)
        return consume head
    }

    /// Edits `headers` in place: a head the parser made and nothing else holds has room for
    /// the usual edits (`FieldLineSyntax.parseFields`), so forwarding it allocates nothing.
    private func makeForwardable(
        _ headers: inout HTTPHeaders, version: HTTPVersion, forwardingUpgrade: Bool, dropsForwarding: Bool
    ) {
        headers.reserveCapacity(fields: 4, bytes: Self.editRoom)
        headers.removeAll { known, _, namedInConnection in
            switch Self.role(of: known, forwardingUpgrade: forwardingUpgrade, dropsForwarding: dropsForwarding) {
            case .dropped: true
            case .kept: false
            case .droppedIfNamedInConnection: namedInConnection()
            }
        }
        if forwardingUpgrade {
            headers.append(Self.upgradeConnection)
        }
        if !FramingFields.isCanonicalContentLength(headers), case let .success(length?) = FramingFields.contentLength(headers) {
            headers.replaceAll(with: HTTPField(name: "Content-Length", value: String(length)))
        }
        appendVia(to: &headers, version: version)
    }

    /// What becomes of a field when the head is forwarded.
    private enum FieldRole {
        case dropped
        case kept
        /// Dropped when the received Connection names it (RFC 9110 §7.6.1).
        case droppedIfNamedInConnection
    }

    /// The hop-by-hop fields describe one connection and never travel further (RFC 9110
    /// §7.6.1), save an Upgrade being forwarded; the framing and routing fields survive being
    /// named in Connection, since dropping them would change how the forwarded bytes are
    /// framed or routed, which is what such a request is after; the forwarding fields stay
    /// behind when they come from a client not trusted.
    private static func role(of known: KnownFieldName?, forwardingUpgrade: Bool, dropsForwarding: Bool) -> FieldRole {
        switch known {
        case .xForwardedFor, .xForwardedProto:
            dropsForwarding ? .dropped : .droppedIfNamedInConnection
        case .upgrade:
            forwardingUpgrade ? .kept : .dropped
        case .contentLength, .transferEncoding, .host:
            .kept
        case .connection, .keepAlive, .proxyConnection, .te:
            .dropped
        case .expect, .via, .odbPeer, .odbPayload, nil:
            .droppedIfNamedInConnection
        }
    }

    /// Appends `major.minor pseudonym` to Via.
    private func appendVia(to headers: inout HTTPHeaders, version: HTTPVersion) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4 + pseudonymBytes.count) { element in
            element[0] = version.majorDigit
            element[1] = UInt8(ascii: ".")
            element[2] = version.minorDigit
            element[3] = ByteClass.space
            _ = UnsafeMutableBufferPointer(rebasing: element[4...]).initialize(from: pseudonymBytes)
            headers.appendListElement(UnsafeRawBufferPointer(element), to: .via)
        }
    }
}
