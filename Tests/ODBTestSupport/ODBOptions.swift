/// A route's `odb` role, as a test writes it.
public enum VirtualPayloadRoleOption: String, Sendable {
    case off, holder, intermediate, edge
}

/// The `odb` section of a relay configuration (docs/DESIGN.md, "Virtual payload").
public struct ODBOptions {
    /// A secret every test peer set shares; long enough for the relay's minimum.
    public static let testSecret = "odb-test-secret-0123456789"

    public var name: String?
    public var secret: String
    public var claimListen: String?
    public var holdTimeout: String?
    public var maxHeldPayloads: Int?
    public var maxHeldBytes: String?
    /// Holder name → claim address (host:port), written in this order.
    public var peers: [(name: String, address: String)]

    public init(name: String? = nil, secret: String = ODBOptions.testSecret, claimListen: String? = nil,
                holdTimeout: String? = nil, maxHeldPayloads: Int? = nil, maxHeldBytes: String? = nil,
                peers: [(name: String, address: String)] = []) {
        self.name = name
        self.secret = secret
        self.claimListen = claimListen
        self.holdTimeout = holdTimeout
        self.maxHeldPayloads = maxHeldPayloads
        self.maxHeldBytes = maxHeldBytes
        self.peers = peers
    }

    var lines: [String] {
        let keys: [(String, String?)] = [
            ("name", name), ("secret", RelayConfigFile.quoted(secret)), ("claim_listen", claimListen.map(RelayConfigFile.quoted)),
            ("hold_timeout", holdTimeout), ("max_held_payloads", maxHeldPayloads.map(String.init)), ("max_held_bytes", maxHeldBytes),
        ]
        var lines = ["odb:"] + keys.compactMap { key, value in value.map { "  \(key): \($0)" } }
        if !peers.isEmpty {
            lines.append("  peers:")
            lines += peers.map { "    \($0.name): \(RelayConfigFile.quoted($0.address))" }
        }
        return lines
    }
}
