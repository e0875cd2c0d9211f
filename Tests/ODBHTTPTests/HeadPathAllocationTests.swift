import Testing
import head_path_cost

/// The relay parses, judges, rewrites and serializes two heads per keep-alive request; every
/// heap allocation there is paid at each request's rate, so their number has a ceiling.
@Suite struct HeadPathAllocationTests {
    /// Allocations of one exchange, request and response head: per head one copy of the field
    /// section and one array of field spans when parsed, one copy of each when rewritten, and
    /// the serialized bytes. ODBHTTP is optimised in debug builds too, so this is the count of
    /// a release build, which `head-path-cost` prints (176 before heads were kept as bytes).
    static let ceiling = 10.0

    @Test func aKeepAliveExchangeStaysUnderTheAllocationCeiling() {
        let allocations = HeadPathWorkload().allocationsPerExchange(exchanges: 2_000)
        #expect(allocations > 0, "the counter saw no allocation: malloc is not interposed")
        #expect(allocations <= Self.ceiling, "\(allocations) allocations per exchange")
        print("head path: \(allocations) allocations per exchange (ceiling \(Self.ceiling))")
    }
}
