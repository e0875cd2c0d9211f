import Foundation
import Testing
@testable import ODBConfig

@Suite struct VirtualPayloadConfigTests {
    /// A relay in the middle of a chain: it claims from `relay-3`, and holds nothing itself.
    static func yaml(odb: String, role: String, peer: Bool) -> String {
        """
        odb:
        \(odb)
        listeners:
          - listen: :8080
            routes:
              - upstream: next
                odb: \(role)
        upstreams:
          next:
            servers: [127.0.0.1:9000]
            odb_peer: \(peer)
        """
    }

    static let secret = "  secret: abcdefghijklmnopqrstuvwxyz"
    static let peers = "  peers:\n    relay-3: 127.0.0.1:7003"
    static let holding = "  name: relay-3\n  claim_listen: 127.0.0.1:7003"

    @Test func exampleHoldsEveryKey() throws {
        let config = try RelayConfig.parse(yaml: ConfigExample.yaml, fileName: "example.yaml")
        #expect(config.odb == VirtualPayloadConfig(
            name: "relay-a", secret: "change-me-to-a-long-shared-secret", claimListen: Endpoint(host: "127.0.0.1", port: 7000),
            holdTimeout: .seconds(10), maxHeldPayloads: 1000, maxHeldBytes: 256 << 20,
            peers: ["relay-b": Endpoint(host: "10.0.0.2", port: 7000)]))
        #expect(config.listeners[0].routes[0].odb == .off)
        #expect(config.upstreams["api"]?.odbPeer == false)
    }

    @Test func intermediateRouteToAPeerLoads() throws {
        let config = try RelayConfig.parse(yaml: Self.yaml(odb: Self.secret + "\n" + Self.peers, role: "intermediate", peer: true),
                                           fileName: "relay.yaml")
        #expect(config.listeners[0].routes[0].odb == .intermediate)
        #expect(config.odb?.peers == ["relay-3": Endpoint(host: "127.0.0.1", port: 7003)])
        #expect(config.odb?.name == nil)
    }

    @Test func holderNeedsItsNameAndClaimAddressAndAPlainOrigin() throws {
        let loaded = try RelayConfig.parse(yaml: Self.yaml(odb: Self.secret + "\n" + Self.holding, role: "holder", peer: false),
                                           fileName: "relay.yaml")
        #expect(loaded.odb?.claimListen == Endpoint(host: "127.0.0.1", port: 7003))
        let unnamed = try #require(configError(Self.yaml(odb: Self.secret, role: "holder", peer: false)))
        #expect(unnamed.description.contains("odb.name and odb.claim_listen"))
        #expect(unnamed.line == 7)
        let peerOrigin = try #require(configError(Self.yaml(odb: Self.secret + "\n" + Self.holding, role: "holder", peer: true)))
        #expect(peerOrigin.description.contains("use \"intermediate\""))
    }

    @Test func claimingRolesNeedAPeerUpstreamAndPeersToClaimFrom() throws {
        for role in ["intermediate", "edge"] {
            let plain = try #require(configError(Self.yaml(odb: Self.secret + "\n" + Self.peers, role: role, peer: false)))
            #expect(plain.description.contains("set odb_peer: true"))
            let lonely = try #require(configError(Self.yaml(odb: Self.secret, role: role, peer: true)))
            #expect(lonely.description.contains("odb.peers names no holder"))
        }
    }

    @Test func aRoleWithoutTheSectionIsNamed() throws {
        let error = try #require(configError("""
            listeners:
              - listen: :8080
                routes:
                  - upstream: api
                    odb: edge
            upstreams:
              api:
                servers: [127.0.0.1:9000]
                odb_peer: true
            """))
        #expect(error.line == 5)
        #expect(error.description.contains("needs the top-level \"odb\" section"))
    }

    @Test func secretsAreLongVisibleAndFromOnePlace() throws {
        let short = try #require(configError(Self.yaml(odb: "  secret: tooshort\n" + Self.peers, role: "edge", peer: true)))
        #expect(short.description.contains("at least 16"))
        #expect(short.line == 2)
        let both = try #require(configError(Self.yaml(
            odb: Self.secret + "\n  secret_file: /nonexistent\n" + Self.peers, role: "edge", peer: true)))
        #expect(both.description.contains("not both"))
        let missing = try #require(configError(Self.yaml(odb: "  secret_file: /nonexistent/odb.secret\n" + Self.peers,
                                                         role: "edge", peer: true)))
        #expect(missing.description.contains("cannot read \"/nonexistent/odb.secret\""))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("odb-secret-\(getpid())")
        try "0123456789abcdefXYZ  \nignored\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let config = try RelayConfig.parse(yaml: Self.yaml(odb: "  secret_file: \(file.path)\n" + Self.peers, role: "edge", peer: true),
                                           fileName: "relay.yaml")
        #expect(config.odb?.secret == "0123456789abcdefXYZ")
    }

    @Test func peerHeaderMustMatchTheSecretExactly() throws {
        let odb = VirtualPayloadConfig(secret: "abcdefghijklmnopqrstuvwxyz")
        #expect(odb.acceptsPeer(headerValue: "abcdefghijklmnopqrstuvwxyz"))
        #expect(!odb.acceptsPeer(headerValue: "abcdefghijklmnopqrstuvwxyZ"))
        #expect(!odb.acceptsPeer(headerValue: "abcdefghijklmnopqrstuvwxy"))
        #expect(!odb.acceptsPeer(headerValue: ""))
    }

    @Test func claimAddressMayNotClashWithAListener() throws {
        let error = try #require(configError(Self.yaml(odb: Self.secret + "\n  name: r\n  claim_listen: 127.0.0.1:8080",
                                                       role: "off", peer: false)))
        #expect(error.description.contains("conflicts with listener"))
    }

    @Test func aChangedClaimAddressNeedsARestart() throws {
        let old = try RelayConfig.parse(yaml: Self.yaml(odb: Self.secret + "\n" + Self.holding, role: "holder", peer: false),
                                        fileName: "relay.yaml")
        let moved = try RelayConfig.parse(yaml: Self.yaml(odb: Self.secret + "\n  name: relay-3\n  claim_listen: 127.0.0.1:7004",
                                                          role: "holder", peer: false), fileName: "relay.yaml")
        #expect(old.settingsNeedingRestart(for: moved) == ["odb.claim_listen"])
        #expect(old.settingsNeedingRestart(for: old).isEmpty)
    }
}
