import Foundation
import ODBTestSupport
import Testing

extension RelayTests {
    /// client → relay → relay → relay → nginx, all in kernel mode.
    @Suite struct Chain {
        @Test func threeRelaysInKernelModeDeliverExactBodies() throws {
            let sizes = [1, 65537, 1_048_577, 67_108_864]
            let origin = try NginxOrigin(fileSizes: sizes)
            let last = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], mode: "kernel")
            let middle = try RelayProcess(upstreams: ["127.0.0.1:\(last.port)"], mode: "kernel")
            let first = try RelayProcess(upstreams: ["127.0.0.1:\(middle.port)"], mode: "kernel")
            let client = try TestHTTPClient(port: first.port)
            defer { client.close() }
            for size in sizes + sizes.reversed() {
                let result = try fetchAndCompare(client, size: size)
                #expect(result.ok, "chain: \(result.detail)")
            }
            usleep(400_000)
            for relay in [first, middle, last] {
                let entry = try #require(try relay.statusEntry(), "relay \(relay.pid) is in status")
                let bytes = entry["body_bytes"] as? [String: Int] ?? [:]
                // Most, not all: a target over its flow budget makes the verdict pass bytes to
                // user space, and how often depends on how busy the machine is (72 % of the two
                // 64 MiB bodies on one relay beside a packet-loss soak, 75-100 % alone). The
                // share target itself lives in the benchmark (docs/PERFORMANCE.md).
                #expect((bytes["kernel"] ?? 0) > 2 * 67_108_864 / 2, "relay \(relay.pid) moved its large bodies in the kernel: \(bytes)")
            }
        }
    }
}
