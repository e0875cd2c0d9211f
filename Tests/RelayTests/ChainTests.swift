import Foundation
import ODBTestSupport
import Testing

extension RelayTests {
    /// client → relay → relay → relay → nginx, all in kernel mode.
    @Suite struct Chain {
        @Test func threeRelaysInKernelModeDeliverExactBodies() throws {
            let sizes = [1, 65537, 1_048_577, 67_108_864]
            let origin = try NginxOrigin(fileSizes: sizes)
            let last = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel))
            let middle = try RelayProcess(upstreams: ["127.0.0.1:\(last.port)"], route: RouteOptions(.kernel))
            let first = try RelayProcess(upstreams: ["127.0.0.1:\(middle.port)"], route: RouteOptions(.kernel))
            let client = try TestHTTPClient(port: first.port)
            defer { client.close() }
            for size in sizes + sizes.reversed() {
                let result = try fetchAndCompare(client, size: size)
                #expect(result.ok, "chain: \(result.detail)")
            }
            for relay in [first, middle, last] {
                let bytes = try relay.bodyBytes(atLeast: 2 * sizes.reduce(0, +))
                // Each relay's windows carried bytes, more than 8 MiB of the two 64 MiB bodies (a
                // new window's budget starts at 2 MiB and grows). Not a share: a target over its budget makes the verdict pass bytes
                // to user space, and how often follows the machine's load (47-100 % of them on one
                // relay, the lower figures in CI runs beside the other suites). The share target
                // lives in the benchmark (docs/PERFORMANCE.md).
                #expect((bytes["kernel"] ?? 0) > 8 << 20, "relay \(relay.pid) moved its large bodies in the kernel: \(bytes)")
            }
        }
    }
}
