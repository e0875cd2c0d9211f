import CAllocationCounter
import CoreMetrics
import Foundation
import Logging
import ODBConfig
import ODBTestSupport
import Testing
@testable import ODBRelay

/// A worker relays keep-alive requests at their rate; each heap allocation of its per-exchange
/// work is paid as often, so their number has a ceiling.
@Suite struct ExchangeAllocationTests {
    /// Allocations of one 1 KiB keep-alive GET in copy mode on the worker's thread, after warm-up:
    /// 20.0-20.2 in the debug build the tests run, where a release relay makes 12 (docs/
    /// PERFORMANCE.md section 10). By a uprobe on this binary's malloc: the head path's 10
    /// (section 8), the `Exchange` and the response's `BodyTransfer`, and 8 that only unoptimised
    /// generic code makes: 2 in `RequestAdmission.init`, and 3 per event-loop turn in `TimerHeap`
    /// (`entries.first`), two turns per exchange. Turns per exchange vary with how events batch,
    /// so the count rises a little with load (20.18 at load average 12). The ceiling is 20 plus 2.
    static let ceiling = 22.0
    static let warmUpExchanges = 200
    static let measuredExchanges = 2_000

    @Test func aKeepAliveExchangeStaysUnderTheAllocationCeiling() throws {
        let origin = try ScriptedOrigin(handler: """
            body = b"x" * 1024
            def answer(conn, head, data):
                conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n" % len(body) + body)
                return data
            """)
        let port = freePort()
        let file = RelayConfigFile.singleRoute(port: port, upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.copy),
                                               workers: 1)
        let config = try RelayConfig.parse(yaml: file.yaml, fileName: "exchange-allocations.yaml")
        let shared = RelayShared(workers: 1, kernel: nil, metrics: RelayMetrics(factory: NOOPMetricsHandler.instance),
                                 config: config)
        var logger = Logger(label: "odb-test")
        logger.logLevel = .notice
        let worker = try Worker(index: 0, config: config, shared: shared, logger: logger)
        let counting = WorkerCounter()
        let finished = DispatchSemaphore(value: 0)
        Thread {
            allocation_counter_start()
            counting.publish(allocation_counter_of_this_thread())
            worker.run()
            _ = allocation_counter_stop()
            finished.signal()
        }.start()
        defer {
            shared.requestStop()
            #expect(finished.wait(timeout: .now() + 30) == .success, "the worker stopped")
        }
        let counter = counting.waitUntilPublished()
        let client = try TestHTTPClient(port: port)
        defer { client.close() }
        for _ in 0..<Self.warmUpExchanges {
            #expect(try client.get("/bytes/1024").body.count == 1024)
        }
        let before = allocation_counter_read(counter)
        for _ in 0..<Self.measuredExchanges {
            let response = try client.get("/bytes/1024")
            guard response.status == 200, response.body.count == 1024 else {
                Issue.record("a keep-alive exchange failed: status \(response.status), \(response.body.count) body bytes")
                return
            }
        }
        let allocations = Double(allocation_counter_read(counter) - before) / Double(Self.measuredExchanges)
        print("relay worker: \(allocations) allocations per 1 KiB keep-alive exchange (ceiling \(Self.ceiling))")
        #expect(allocations > 0, "the counter saw no allocation: malloc is not interposed")
        #expect(allocations <= Self.ceiling, """
            \(allocations) allocations per 1 KiB keep-alive exchange on the worker's thread, above \(Self.ceiling): \
            see docs/PERFORMANCE.md section 10 for what each exchange allocates
            """)
    }
}

/// Hands the worker thread's allocation counter to the test thread once the worker counts.
private final class WorkerCounter: @unchecked Sendable {
    private let published = DispatchSemaphore(value: 0)
    private var counter: UnsafePointer<UInt>?

    func publish(_ counter: UnsafePointer<UInt>) {
        self.counter = counter
        published.signal()
    }

    func waitUntilPublished() -> UnsafePointer<UInt> {
        published.wait()
        return counter!
    }
}
