import ODBConfig
import ODBHTTP

/// What makes the built-in origin a virtual payload holder (docs/DESIGN.md, "Virtual payload"):
/// a request proving itself a peer's is answered with a descriptor, and the body is claimed at
/// `claimListen`.
public struct OriginHoldSettings: Sendable {
    /// The holder name the origin's descriptors carry.
    public let name: String
    /// Where peers claim what the origin holds.
    public let claimListen: HostPort
    /// The shared secret, the hold timeout and the table's cap, in the relay's own terms, so that
    /// the origin checks a peer exactly as a relay does.
    let odb: VirtualPayloadConfig

    /// The most payloads held at once; past it, bodies are served for real. A held payload costs
    /// the origin only its table entry, since the bytes are generated when claimed.
    public static let defaultMaxHeldPayloads = 100_000

    public init(name: String, secret: String, claimListen: HostPort, holdTimeout: Duration,
                maxHeldPayloads: Int = defaultMaxHeldPayloads) throws(BenchError) {
        guard PayloadDescriptor.isHolderName(name) else {
            throw .invalidArgument("invalid holder name \"\(name)\": use at most 64 letters, digits, '.', '_' and '-'")
        }
        guard VirtualPayloadConfig.isValidSecret(secret) else {
            throw .invalidArgument(
                "the ODB secret must be at least \(VirtualPayloadConfig.minimumSecretLength) visible ASCII characters without spaces")
        }
        guard holdTimeout > .zero else { throw .invalidArgument("the hold timeout must be positive") }
        guard maxHeldPayloads > 0 else { throw .invalidArgument("the held payload cap must be positive") }
        self.name = name
        self.claimListen = claimListen
        odb = VirtualPayloadConfig(name: name, secret: secret, holdTimeout: holdTimeout, maxHeldPayloads: maxHeldPayloads)
    }
}
