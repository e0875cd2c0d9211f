import Foundation
import Glibc

/// The built-in load generator: checked bodies, and fixed request rates.
///
/// Each connection runs on its own thread with a `BodyCheckingClient`, so every body is read
/// to its end and checked. At a fixed rate, request `i` is due at `start + i / rate` and its
/// latency counts from that due time, not from when it was actually sent: a stalled server
/// cannot hide the requests it delayed (coordinated omission, as wrk2 corrects it).
public struct BuiltinLoad: Sendable {
    public let target: HostPort
    public let size: Int
    public let connections: Int
    public let verifyContent: Bool

    public init(target: HostPort, size: Int, connections: Int, verifyContent: Bool = true) {
        self.target = target
        self.size = size
        self.connections = max(1, connections)
        self.verifyContent = verifyContent
    }

    /// What a run produced.
    public struct Result: Sendable {
        public var requests: Int
        public var errors: Int
        public var firstError: String?
        public var latenciesMs: [Double]
        public var seconds: Double
        /// Requests that could not be sent on time because every connection was busy.
        public var lateStarts: Int
    }

    /// Sends `total` requests as fast as the connections allow, checking every body; with
    /// `mix`, its share of them asks for its request instead.
    public func verify(total: Int, mix: RequestMix? = nil) -> Result {
        let next = Counter()
        let usual = BenchRequest(size: size)
        return run { client, record in
            while true {
                let index = next.take()
                guard index < total else { break }
                let started = monotonicSeconds()
                do throws(BenchError) {
                    try client.fetch(mix?.request(index, usual: usual) ?? usual, verifyContent: verifyContent)
                    record(.success(monotonicSeconds() - started), false)
                } catch {
                    record(.failure(error), false)
                }
            }
        }
    }

    /// Sends `rate` requests per second for `seconds`, spread over the connections round robin.
    /// With `mix`, its share of the requests asks for its request instead.
    public func fixedRate(rate: Double, seconds: Double, mix: RequestMix? = nil) -> Result {
        let total = Int(rate * seconds)
        let usual = BenchRequest(size: size)
        let start = monotonicSeconds() + 0.05
        let lanes = connections
        let lane = Counter()
        return run { client, record in
            let mine = lane.take()
            var index = mine
            while index < total {
                let due = start + Double(index) / rate
                let now = monotonicSeconds()
                if due > now { usleep(UInt32((due - now) * 1e6)) }
                // Behind schedule by more than one request interval: the latency below already
                // carries the wait; count it so the report can say the rate was not kept.
                let late = monotonicSeconds() - due > Double(lanes) / rate
                do throws(BenchError) {
                    try client.fetch(mix?.request(index, usual: usual) ?? usual, verifyContent: verifyContent)
                    record(.success(monotonicSeconds() - due), late)
                } catch {
                    record(.failure(error), late)
                }
                index += lanes
            }
        }
    }

    /// Runs `body` on one thread per connection and gathers what they record.
    private func run(_ body: @escaping @Sendable (BodyCheckingClient, (Swift.Result<Double, BenchError>, Bool) -> Void) -> Void) -> Result {
        let collector = Collector()
        let group = DispatchGroup()
        let began = monotonicSeconds()
        for _ in 0..<connections {
            group.enter()
            let target = self.target
            Thread.detachNewThread {
                let client = BodyCheckingClient(target: target)
                var latencies = [Double]()
                var errors = 0
                var late = 0
                var firstError: String?
                body(client) { outcome, wasLate in
                    if wasLate { late += 1 }
                    switch outcome {
                    case .success(let seconds): latencies.append(seconds * 1000)
                    case .failure(let error):
                        errors += 1
                        if firstError == nil { firstError = error.description }
                    }
                }
                collector.add(latencies: latencies, errors: errors, late: late, firstError: firstError)
                group.leave()
            }
        }
        group.wait()
        return collector.result(seconds: monotonicSeconds() - began)
    }
}

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// A shared counter handing out 0, 1, 2, … to threads.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value - 1
    }
}

/// Merges what the connection threads measured.
private final class Collector: @unchecked Sendable {
    private let lock = NSLock()
    private var latencies = [Double]()
    private var errors = 0
    private var late = 0
    private var firstError: String?

    func add(latencies: [Double], errors: Int, late: Int, firstError: String?) {
        lock.lock()
        defer { lock.unlock() }
        self.latencies += latencies
        self.errors += errors
        self.late += late
        if self.firstError == nil { self.firstError = firstError }
    }

    func result(seconds: Double) -> BuiltinLoad.Result {
        lock.lock()
        defer { lock.unlock() }
        return .init(requests: latencies.count, errors: errors, firstError: firstError,
                     latenciesMs: latencies, seconds: seconds, lateStarts: late)
    }
}
