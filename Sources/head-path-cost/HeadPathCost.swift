import Foundation

/// Prints what the relay's per-request head work costs: time and heap allocations per
/// exchange (one request head and one response head), best of several rounds.
///
/// Usage: `head-path-cost [exchanges per round] [rounds]`; build with `-c release`.
@main
enum HeadPathCost {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
        let exchanges = arguments.first ?? 200_000
        let rounds = arguments.dropFirst().first ?? 5
        let workload = HeadPathWorkload()
        var best = Double.infinity
        for _ in 0..<rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            var produced = 0
            for _ in 0..<exchanges {
                produced &+= workload.exchange()
            }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
            precondition(produced > 0)
            best = min(best, elapsed / Double(exchanges))
        }
        let allocations = workload.allocationsPerExchange(exchanges: 10_000)
        print(String(format: "per exchange (request + response head): %.2f µs, %.1f allocations (best of %d rounds of %d)",
                     best / 1000, allocations, rounds, exchanges))
    }
}
