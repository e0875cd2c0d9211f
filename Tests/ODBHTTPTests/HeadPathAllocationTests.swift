import Testing
import head_path_cost

/// The relay parses, judges, rewrites and serializes two heads per keep-alive request; every
/// heap allocation there is paid at each request's rate, so their number has a ceiling.
@Suite struct HeadPathAllocationTests {
    /// Allocations of one exchange (request and response head) in a debug build, which
    /// allocates a little more than a release build (`head-path-cost` prints that figure).
    static let ceiling = 1000.0

    @Test func aKeepAliveExchangeStaysUnderTheAllocationCeiling() {
        let allocations = HeadPathWorkload().allocationsPerExchange(exchanges: 2_000)
        #expect(allocations > 0, "the counter saw no allocation: malloc is not interposed")
        #expect(allocations <= Self.ceiling, "\(allocations) allocations per exchange")
        print("head path: \(allocations) allocations per exchange (ceiling \(Self.ceiling))")
    }
}
