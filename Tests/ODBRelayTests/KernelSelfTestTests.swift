import Foundation
import Glibc
import Logging
import ODBConfig
import ODBKernel
import ODBTestSupport
import Testing
@testable import ODBRelay

/// The kernel self-test on this kernel, with real sockets and maps, and what a relay does when
/// a self-test fails.
@Suite(.serialized) struct KernelSelfTestTests {
    static let logger = Logger(label: "odb-test")

    /// A private pin set with this process's cgroup hooked, as a relay without `attach` gets.
    static func lease() throws -> RelayKernelLease {
        let pinRoot = "/sys/fs/bpf/odb-test-selftest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        return try RelayKernelLease.acquire(pinRoot: pinRoot, logger: logger)
    }

    /// Linux 6.18.44 carries "bpf, sockmap: fix duplicated data transmission".
    @Test func passesOnThisKernel() throws {
        let kernel = try Self.lease()
        defer { kernel.release() }
        let result = KernelSelfTest.run(objects: kernel.objects, logger: Self.logger)
        guard case let .passed(bytes, redirected) = result else {
            Issue.record("the self-test failed: \(result)")
            return
        }
        #expect(bytes == UInt64(KernelSelfTest.streamLength))
        #expect(redirected == bytes, "the verdict redirected every skb, none passed for the budget")
        #expect(KernelPathDecision(result) == .redirect)
        #expect(kernel.objects.flows.keys().isEmpty, "the test's flow entries are gone")
        #expect(kernel.objects.eventRings.keys().isEmpty, "the test's event ring is gone")
    }

    /// Out of time is a failed self-test that says so, and leaves no flow or ring behind.
    @Test func runningOutOfTimeFailsWithTheReason() throws {
        let kernel = try Self.lease()
        defer { kernel.release() }
        let result = KernelSelfTest.run(objects: kernel.objects, logger: Self.logger, timeout: 0)
        guard case let .failed(reason) = result else {
            Issue.record("a self-test without time passed: \(result)")
            return
        }
        #expect(reason.contains("timed out"), "\(reason)")
        #expect(KernelPathDecision(result) == .spliceInstead(reason: reason))
        #expect(kernel.objects.flows.keys().isEmpty)
        #expect(kernel.objects.eventRings.keys().isEmpty)
    }

    /// A failed self-test goes through the decision the relay makes at startup; a worker built
    /// on it has no kernel path, splices a body its kernel-mode route would redirect, and
    /// counts it.
    @Test func aFailedSelfTestSplicesKernelBodiesAndCountsThem() throws {
        let decision = KernelPathDecision(.failed(reason: "byte 40000 repeats stream byte 20000"))
        #expect(decision == .spliceInstead(reason: "byte 40000 repeats stream byte 20000"))
        let kernel = try Self.lease()
        defer { kernel.release() }
        let length = 1 << 20
        let origin = try ScriptedOrigin(handler: """
            body = bytes(range(256)) * \(length / 256)
            def answer(conn, head, data):
                conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n" % len(body) + body)
                return data
            """)
        let port = freePort()
        let config = try RelayConfig.quickStart(listen: ["127.0.0.1:\(port)"], upstreams: ["127.0.0.1:\(origin.port)"],
                                                mode: .kernel, workers: 1)
        let shared = RelayShared(workers: 1, kernel: (kernel.objects, decision), config: config)
        let worker = try Worker(index: 0, config: config, shared: shared, logger: Self.logger)
        #expect(worker.kernel == nil)
        let finished = DispatchSemaphore(value: 0)
        Thread {
            worker.run()
            finished.signal()
        }.start()
        let client = try TestHTTPClient(port: port)
        let response = try client.get("/")
        client.close()
        shared.requestStop()
        #expect(finished.wait(timeout: .now() + 30) == .success, "the worker stopped")
        #expect(response.status == 200)
        #expect(response.body == (0..<length).map { UInt8($0 % 256) })
        let totals = shared.totals
        #expect(totals.fallbacksKernelSelfTest == 1)
        #expect(totals.bodyBytesKernel == 0)
        #expect(totals.bodyBytesSplice > 0)
        #expect(totals.bodyBytesSplice + totals.bodyBytesCopy == UInt64(length), "bytes read with the head are copied")
    }
}
