#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ODBHTTP

/// What a route does with virtual payloads (docs/DESIGN.md, "Virtual payload").
public enum VirtualPayloadRole: String, Sendable, CaseIterable {
    /// No descriptors: bodies move as the route's mode says.
    case off
    /// The upstream is a plain origin; a body answered to a peer is held, and a descriptor
    /// answered instead.
    case holder
    /// The upstream is a peer; descriptors pass on to peers, and are claimed here for a plain client.
    case intermediate
    /// The upstream is a peer; every descriptor is claimed here, because the route needs the bytes.
    case edge

    /// Whether requests on this route go to a peer, carry `ODB-Peer`, and may be answered with descriptors.
    public var sendsToPeer: Bool { self == .intermediate || self == .edge }
}

/// The optional `odb` section: this relay's name as a holder, the secret peers share, where
/// payloads it holds are claimed, how long and how much it holds, and the holders it claims from.
public struct VirtualPayloadConfig: Sendable, Equatable {
    /// This relay's holder name in the descriptors it issues.
    public var name: String?
    /// Shared by every peer; requests and claims prove membership by carrying it.
    public var secret: String
    /// Where peers claim the payloads this relay holds; required by `holder` routes.
    public var claimListen: Endpoint?
    /// An unclaimed payload is released after this long.
    public var holdTimeout: Duration
    /// Most payloads held at once; past it, bodies are served for real.
    public var maxHeldPayloads: Int
    /// Most socket memory held payloads may occupy (each counts its length, or its receive
    /// buffer when that is smaller); past it, bodies are served for real.
    public var maxHeldBytes: Int
    /// The holders this relay may claim from, by name: the only addresses it claims at.
    public var peers: [String: Endpoint]

    public init(name: String? = nil, secret: String, claimListen: Endpoint? = nil, holdTimeout: Duration = .seconds(10),
                maxHeldPayloads: Int = 1000, maxHeldBytes: Int = 256 << 20, peers: [String: Endpoint] = [:]) {
        self.name = name
        self.secret = secret
        self.claimListen = claimListen
        self.holdTimeout = holdTimeout
        self.maxHeldPayloads = maxHeldPayloads
        self.maxHeldBytes = maxHeldBytes
        self.peers = peers
    }

    /// The shortest secret accepted, so that a guess is not cheap.
    public static let minimumSecretLength = 16

    /// Whether `secret` may be the shared secret: long enough that a guess is not cheap, and
    /// visible ASCII without spaces, so that it travels unchanged as a header value.
    public static func isValidSecret(_ secret: String) -> Bool {
        secret.utf8.count >= minimumSecretLength && secret.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f }
    }

    /// What `isValidSecret` asks of a secret, as an error message says it.
    public static let secretRequirement = "the secret must be at least \(minimumSecretLength) visible ASCII characters without spaces"

    /// Why a secret file gave no secret. The relay's configuration errors put `secret_file: `
    /// before the description, `odb-redirect origin` puts `--odb-secret-file: `.
    public enum SecretFileError: Error, CustomStringConvertible {
        case unreadable(path: String, errno: Int32)
        case invalidSecret

        public var description: String {
            switch self {
            case let .unreadable(path, errno): return "cannot read \"\(path)\": " + String(cString: strerror(errno))
            case .invalidSecret: return VirtualPayloadConfig.secretRequirement
            }
        }
    }

    /// The secret a secret file holds: its first line without surrounding white space, which
    /// must pass `isValidSecret`.
    public static func secret(fromFile path: String) throws(SecretFileError) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreadable(path: path, errno: errno) }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw .unreadable(path: path, errno: errno) }
        let firstLine = buffer[..<count].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).first ?? []
        let secret = String(decoding: firstLine, as: UTF8.self).trimmingWhitespace()
        guard isValidSecret(secret) else { throw .invalidSecret }
        return secret
    }

    /// Whether an `ODB-Peer` header value proves the sender a peer; compares in constant time,
    /// on the two Strings' bytes in place (every request from a peer asks).
    public func acceptsPeer(headerValue: String) -> Bool {
        var value = headerValue, expected = secret
        return value.withUTF8 { value in
            expected.withUTF8 { expected in
                guard value.count == expected.count else { return false }
                var difference: UInt8 = 0
                for index in 0..<value.count { difference |= value[index] ^ expected[index] }
                return difference == 0
            }
        }
    }

    static let keys = ["name", "secret", "secret_file", "claim_listen", "hold_timeout", "max_held_payloads", "max_held_bytes", "peers"]

    init(from section: ConfigMapping) throws(ConfigError) {
        let secret: String
        switch (section["secret"], section["secret_file"]) {
        case let (node?, nil):
            secret = try node.nonEmptyString()
            guard Self.isValidSecret(secret) else { throw node.error("secret: \(Self.secretRequirement)") }
        case let (nil, node?):
            let path = try node.nonEmptyString()
            do {
                secret = try Self.secret(fromFile: path)
            } catch {
                throw node.error("secret_file: \(error)")
            }
        case let (_?, node?):
            throw node.error("secret_file: give either \"secret\" or \"secret_file\", not both")
        case (nil, nil):
            throw section.node.error("odb: missing required key \"secret\" or \"secret_file\"")
        }
        var peers: [String: Endpoint] = [:]
        if let peersNode = section["peers"], !peersNode.isNull {
            for entry in try peersNode.mapping(allowedKeys: nil).entries {
                guard PayloadDescriptor.isHolderName(entry.key) else {
                    throw entry.keyNode.error("peers: invalid holder name \"\(entry.key)\"; use letters, digits, '.', '_' and '-'")
                }
                let address = try entry.value.named("peer \"\(entry.key)\"").endpoint()
                guard !address.isWildcard else {
                    throw entry.value.error("peers: claim address \"\(address)\" needs a host to connect to")
                }
                peers[entry.key] = address
            }
        }
        let defaults = VirtualPayloadConfig(secret: secret)
        self.init(
            name: try section.value("name", default: nil) { node throws(ConfigError) -> String? in
                let name = try node.nonEmptyString()
                guard PayloadDescriptor.isHolderName(name) else {
                    throw node.error("name: invalid holder name \"\(name)\"; use letters, digits, '.', '_' and '-'")
                }
                return name
            },
            secret: secret,
            claimListen: try section.value("claim_listen", default: nil) { node throws(ConfigError) -> Endpoint? in try node.endpoint() },
            holdTimeout: try section.value("hold_timeout", default: defaults.holdTimeout) { node throws(ConfigError) in try node.duration() },
            maxHeldPayloads: try section.value("max_held_payloads", default: defaults.maxHeldPayloads) { node throws(ConfigError) in
                try node.int(in: 1...1_000_000)
            },
            maxHeldBytes: try section.value("max_held_bytes", default: defaults.maxHeldBytes) { node throws(ConfigError) in
                try node.byteSize(in: (64 << 10)...(1 << 40))
            },
            peers: peers
        )
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let scalars = unicodeScalars.drop { $0.properties.isWhitespace }.reversed().drop { $0.properties.isWhitespace }.reversed()
        return String(String.UnicodeScalarView(scalars))
    }
}
