import CAllocationCounter
import ODBHTTP
import Testing
import head_path_cost

/// The relay parses, judges, rewrites and serializes two heads per keep-alive request; every
/// heap allocation there is paid at each request's rate, so their number has a ceiling.
@Suite struct HeadPathAllocationTests {
    /// Allocations of one exchange, request and response head: per head one copy of the field
    /// section, with room for the rewrite's edits, and one array of field spans when parsed.
    /// The rewrite edits each head in place, the sample request's Connection field and the
    /// fields it names included, and both are written straight into a connection's send queue.
    /// ODBHTTP is optimised in debug builds too, so this is the count of a release build, which
    /// `head-path-cost` prints (176 before heads were kept as bytes).
    static let ceiling = 4.0

    @Test func aKeepAliveExchangeStaysUnderTheAllocationCeiling() {
        let allocations = HeadPathWorkload().allocationsPerExchange(exchanges: 2_000)
        #expect(allocations > 0, "the counter saw no allocation: malloc is not interposed")
        #expect(allocations <= Self.ceiling, "\(allocations) allocations per exchange")
        print("head path: \(allocations) allocations per exchange (ceiling \(Self.ceiling))")
    }

    /// Every relay of a virtual chain parses the descriptor of each response it passes on. A
    /// holder name and the keys fit in small Strings, so a well-formed descriptor costs no
    /// allocation (split into Strings it cost a fifth of a head-only hop's CPU).
    @Test func aDescriptorParsesWithoutAllocating() throws {
        let value = PayloadDescriptor(holder: "relay-3", token: .random(), framing: .length(1 << 20)).headerValue
        let parses = 1_000
        _ = try PayloadDescriptor(headerValue: value)
        allocation_counter_start()
        for _ in 0..<parses {
            _ = try PayloadDescriptor(headerValue: value)
        }
        let allocations = allocation_counter_stop()
        #expect(allocations == 0, "\(allocations) allocations in \(parses) parses")
    }
}
