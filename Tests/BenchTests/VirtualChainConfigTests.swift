import ODBConfig
import Testing
@testable import ODBBench

/// The relay configurations of virtual chains: every one is accepted by the relay's own
/// configuration loader, and the roles sit where docs/DESIGN.md puts them.
@Suite struct VirtualChainConfigTests {
    static let settings = ChainSettings(odbRedirect: "/bin/false", workers: 1, pinRoot: "/sys/fs/bpf/unused",
                                        scratchDirectory: "/tmp")
    static let secret = VirtualPayloadChain.Peering.newSecret()

    static func chain(length: Int, faults: Bool, originClaimPort: Int?) -> VirtualPayloadChain {
        VirtualPayloadChain(length: length, faults: faults,
                            peering: .init(secret: secret, originClaimPort: originClaimPort), holderClaimPort: 40_001)
    }

    static func yaml(_ hop: VirtualPayloadChain.Hop, index: Int) -> String {
        RelayConfigText.yaml(listen: HostPort(host: "127.0.0.1", port: 30_000 + index),
                             upstream: HostPort(host: "127.0.0.1", port: 30_001 + index), mode: "kernel",
                             workers: 1, pinRoot: "/sys/fs/bpf/unused", kernelMinBody: nil, odb: hop)
    }

    @Test(arguments: [nil, 40_000] as [Int?])
    func everyHopOfChainsOneToEightLoads(originClaimPort: Int?) throws {
        for length in 1...8 {
            for faults in [false, true] {
                let chain = Self.chain(length: length, faults: faults, originClaimPort: originClaimPort)
                for index in 0..<length {
                    let text = Self.yaml(chain.hop(index, settings: Self.settings), index: index)
                    do {
                        let config = try RelayConfig.parse(yaml: text, fileName: "relay-\(index + 1).yaml")
                        let roles = config.listeners.flatMap(\.routes).map(\.odb)
                        let hop = chain.hop(index, settings: Self.settings)
                        #expect(roles.contains(hop.route), "the / route's role reached the configuration")
                        #expect(config.odb?.secret == Self.secret)
                    } catch {
                        Issue.record("chain \(length) faults \(faults) relay \(index + 1): \(error)\n\(text)")
                    }
                }
            }
        }
    }

    @Test func behindTheODBAwareOriginEveryRelayPassesOnAndClaimsFromTheOrigin() {
        let chain = Self.chain(length: 3, faults: false, originClaimPort: 40_000)
        for index in 0..<3 {
            let hop = chain.hop(index, settings: Self.settings)
            #expect(hop.route == .intermediate && hop.upstreamIsPeer && hop.holderName == nil)
            #expect(hop.peers.map(\.name) == ["origin"] && hop.peers.map(\.claim.port) == [40_000])
            #expect(hop.faultRoute == nil)
        }
    }

    @Test func behindAPlainOriginTheLastRelayHolds() {
        let chain = Self.chain(length: 4, faults: false, originClaimPort: nil)
        let holder = chain.hop(3, settings: Self.settings)
        #expect(holder.route == .holder && !holder.upstreamIsPeer)
        #expect(holder.holderName == "relay-4" && holder.claimListen?.port == 40_001 && holder.peers.isEmpty)
        for index in 0..<3 {
            let hop = chain.hop(index, settings: Self.settings)
            #expect(hop.route == .intermediate && hop.upstreamIsPeer && hop.claimListen == nil)
            #expect(hop.peers.map(\.name) == ["relay-4"] && hop.peers.map(\.claim.port) == [40_001])
        }
    }

    @Test(arguments: 1...8)
    func onlyTheMiddleRelayFaults(length: Int) {
        for originClaimPort in [nil, 40_000] as [Int?] {
            let chain = Self.chain(length: length, faults: true, originClaimPort: originClaimPort)
            let faulting = (0..<length).filter { chain.hop($0, settings: Self.settings).faultRoute != nil }
            #expect(faulting == [length / 2])
            let role = chain.hop(length / 2, settings: Self.settings).faultRoute
            // A holder relay that faults reads the body it would hold: no ODB role on that route.
            let isHolder = originClaimPort == nil && length / 2 == length - 1
            #expect(role == (isHolder ? .off : .edge))
            let text = Self.yaml(chain.hop(length / 2, settings: Self.settings), index: 0)
            #expect(text.contains("path_prefix: /fault/"))
        }
    }
}
