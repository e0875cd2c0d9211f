import CAllocationCounter
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
    /// 7.0 in the debug build the tests run, where a release relay makes 6 (docs/PERFORMANCE.md
    /// section 18). By a uprobe on this binary's malloc: parsing the two heads (each a span
    /// array and a copy of its field section, with room for the rewrite's edits, which are made
    /// in place), the `Exchange` and the response's `BodyTransfer`, and one that only
    /// unoptimised code makes, in `ListenerConfig.route` itself: the storage of its lazy host
    /// name, which this host-less route never reads. Timers and sweeps add up to 0.07 under load. The ceiling is 7.5, so one more allocation per
    /// exchange fails.
    static let ceiling = 7.5
    /// The same with the access log on, as configured by default, per `log.format`, measured in
    /// the debug build the tests run.
    /// - text, 8.0, so a ceiling of 8.5: one more than with the log off, the line's text. `TextLogHandler` assembles
    ///   the written line on the stack and formats the time once a second, the session formats
    ///   the client's address once and the pool each server's name once (a release relay made 12
    ///   more per line with swift-log's StreamLogHandler and those texts made per line).
    /// - JSON, 107-125 across runs: the line's metadata dictionary and the handler's field list,
    ///   which swift-log's and the standard library's unspecialised generic code build element by
    ///   element in a debug build, in an order that follows each process's hash seed; a release
    ///   relay makes about 3 per line, where JSONSerialization cost 180-310 µs of CPU per line
    ///   (docs/PERFORMANCE.md section 10). The ceiling is the highest count seen plus 5.
    static let accessLogCeilings: [LogConfig.Format: Double] = [.text: 8.5, .json: 130.0]
    static let warmUpExchanges = 200
    static let measuredExchanges = 2_000

    @Test func aKeepAliveExchangeStaysUnderTheAllocationCeiling() throws {
        var logger = Logger(label: "odb-test")
        logger.logLevel = .notice
        let allocations = try allocationsPerExchange(log: LogOptions(), logger: logger)
        print("relay worker: \(allocations) allocations per 1 KiB keep-alive exchange (ceiling \(Self.ceiling))")
        #expect(allocations <= Self.ceiling, """
            \(allocations) allocations per 1 KiB keep-alive exchange on the worker's thread, above \(Self.ceiling): \
            see docs/PERFORMANCE.md section 18 for what each exchange allocates
            """)
    }

    @Test(arguments: [LogConfig.Format.text, .json])
    func anAccessLogLineStaysUnderItsAllocationCeiling(format: LogConfig.Format) throws {
        let sink = try #require(FileHandle(forWritingAtPath: "/dev/null"))
        defer { try? sink.close() }
        let fd = sink.fileDescriptor
        let logger = Logger(label: "odb-test") { label -> any LogHandler in
            switch format {
            case .text: TextLogHandler(label: label, logLevel: .info, output: fd)
            case .json: JSONLogHandler(label: label, logLevel: .info, output: fd)
            }
        }
        let ceiling = try #require(Self.accessLogCeilings[format])
        let allocations = try allocationsPerExchange(log: LogOptions(level: "info", format: format.rawValue, accessLog: true),
                                                     logger: logger)
        print("relay worker, \(format) access log: \(allocations) allocations per 1 KiB keep-alive exchange (ceiling \(ceiling))")
        #expect(allocations <= ceiling, """
            \(allocations) allocations per 1 KiB keep-alive exchange with a \(format) access log line, above \(ceiling): \
            see docs/PERFORMANCE.md section 10
            """)
    }

    /// Heap allocations on one copy-mode worker's thread per keep-alive GET of 1 KiB, after warm-up.
    private func allocationsPerExchange(log: LogOptions, logger: Logger) throws -> Double {
        let origin = try ScriptedOrigin(handler: """
            body = b"x" * 1024
            def answer(conn, head, data):
                conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n" % len(body) + body)
                return data
            """)
        let port = freePort()
        let file = RelayConfigFile.singleRoute(port: port, upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.copy),
                                               workers: 1, log: log)
        let config = try RelayConfig.parse(yaml: file.yaml, fileName: "exchange-allocations.yaml")
        let shared = RelayShared(workers: 1, kernel: nil, config: config)
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
                return .infinity
            }
        }
        let allocations = Double(allocation_counter_read(counter) - before) / Double(Self.measuredExchanges)
        #expect(allocations > 0, "the counter saw no allocation: malloc is not interposed")
        return allocations
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
