import Glibc

/// Prints what the relay's per-request head work costs: CPU time and heap allocations per
/// exchange (one request head and one response head), best of several rounds.
///
/// Time is the thread's CPU time, not wall time, so other work on a shared machine inflates
/// it less. Usage: `head-path-cost [exchanges per round] [rounds]`; build with `-c release`.
@main
enum HeadPathCost {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
        let exchanges = arguments.first ?? 200_000
        let rounds = arguments.dropFirst().first ?? 5
        let workload = HeadPathWorkload()
        var best = Double.infinity
        for _ in 0..<rounds {
            let start = threadCPUNanoseconds()
            var produced = 0
            for _ in 0..<exchanges {
                produced &+= workload.exchange()
            }
            let elapsed = threadCPUNanoseconds() - start
            precondition(produced > 0)
            best = min(best, elapsed / Double(exchanges))
        }
        let allocations = workload.allocationsPerExchange(exchanges: 10_000)
        print("per exchange (request + response head): \((best / 10).rounded() / 100) µs CPU, "
              + "\(allocations) allocations (best of \(rounds) rounds of \(exchanges))")
    }

    private static func threadCPUNanoseconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) * 1e9 + Double(now.tv_nsec)
    }
}
