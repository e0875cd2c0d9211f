import FuzzChecks
import Testing

/// Every committed input keeps every property: the seeds, and each input a fuzzer crash was
/// fixed for, so the fix cannot regress without a fuzzer run.
@Suite struct CorpusReplayTests {
    static let inputs = FuzzTarget.allCases.flatMap { Corpus.inputs($0) }

    @Test func everyTargetHasSeeds() {
        for target in FuzzTarget.allCases {
            #expect(!Corpus.inputs(target).isEmpty, "no seeds for \(target.rawValue)")
        }
    }

    @Test(arguments: inputs)
    func keepsEveryProperty(_ input: Corpus.Input) {
        let violation = input.target.check(input.bytes)
        #expect(violation == nil, "\(input.id): \(violation?.description ?? "")")
    }
}
