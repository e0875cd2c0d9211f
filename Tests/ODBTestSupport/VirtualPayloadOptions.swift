/// The `odb` section of a relay configuration file (docs/DESIGN.md, "Virtual payload").
public struct VirtualPayloadOptions {
    public var name: String?
    public var secret: String
    /// host:port where peers claim what this relay holds.
    public var claimListen: String?
    public var holdTimeout: String?
    public var maxHeldPayloads: Int?
    public var maxHeldBytes: String?
    /// Holder name → claim address (host:port).
    public var peers: [(name: String, address: String)]

    public init(name: String? = nil, secret: String = VirtualPayloadOptions.testSecret, claimListen: String? = nil,
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

    /// The secret test relays share, and that tests acting as a peer send.
    public static let testSecret = "odb-test-secret-0123456789"

    /// The section's keys, each `key: value`, in the order the file lists them.
    var entries: [(String, String?)] {
        [("name", name), ("secret", "\"\(secret)\""), ("claim_listen", claimListen.map { "\"\($0)\"" }),
         ("hold_timeout", holdTimeout), ("max_held_payloads", maxHeldPayloads.map(String.init)),
         ("max_held_bytes", maxHeldBytes)]
    }
}
