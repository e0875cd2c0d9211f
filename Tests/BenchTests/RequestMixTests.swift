@testable import ODBBench
import Testing

/// The mix's share holds after any number of requests, so a short run under load still
/// measures the share it planned (a 1 s bench run may complete only a few dozen requests).
@Suite struct RequestMixTests {
    @Test(arguments: [1, 25, 50, 75, 99, 100])
    func everyPrefixOfTheRunCarriesThePlannedShare(percent: Int) {
        let usual = BenchRequest(size: 1024)
        let mix = RequestMix(other: BenchRequest(size: 1024, prefix: "/fault"), percent: percent)
        var others = 0
        for count in 1...400 {
            if mix.request(count - 1, usual: usual) == mix.other { others += 1 }
            #expect(others == count * percent / 100, "\(percent) %: \(others) of the first \(count) requests")
        }
    }
}
