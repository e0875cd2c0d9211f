import Foundation

/// The two-sided sign test over repetitions: how likely a count of repetitions that met a
/// point's targets, or a count as far from half of them, is if each repetition met them with
/// probability one half. On these 2-core machines one mode's cost per request varies between
/// repetitions with a coefficient of variation of 8-20 % (docs/PERFORMANCE.md §25), so a target
/// 10 % away can be met by some repetitions and missed by others; a count a coin toss would
/// rarely give settles the point, and a count it would give leaves the point within the run's
/// spread.
enum SignTest {
    /// Below this chance the count settles the point.
    static let significance = 0.05

    /// The chance of a count at least as far from half of `trials` as `successes` is.
    static func pValue(_ successes: Int, of trials: Int) -> Double {
        precondition(trials > 0 && (0...trials).contains(successes), "\(successes) of \(trials)")
        let tail = min(successes, trials - successes)
        var term = pow(0.5, Double(trials))
        var sum = term
        for taken in 0..<tail {
            term *= Double(trials - taken) / Double(taken + 1)
            sum += term
        }
        return min(1, 2 * sum)
    }

    /// True when significantly more than half of the repetitions met, false when significantly
    /// fewer did, nil when the count does not settle it.
    static func settled(_ successes: Int, of trials: Int) -> Bool? {
        guard trials > 0, pValue(successes, of: trials) < significance else { return nil }
        return 2 * successes > trials
    }
}
