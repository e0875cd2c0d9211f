import Foundation
import ODBTestSupport

/// Sizes around the copy threshold (64 KiB), the 64 KiB and 1 MiB boundaries, and large bodies.
let bodySizes = [0, 1, 1000, 65535, 65536, 65537, 1_048_575, 1_048_576, 1_048_577, 4_194_307, 67_108_864]

let relayModes: [RouteMode] = [.kernel, .splice, .copy]

/// Fetches `/files/SIZE.bin` on an open connection and checks every byte.
func fetchAndCompare(_ client: TestHTTPClient, size: Int) throws -> (ok: Bool, detail: String) {
    let response = try client.get("/files/\(size).bin")
    guard response.status == 200 else { return (false, "status \(response.status) for size \(size)") }
    let expected = try TestContent.bytes(size: size)
    if response.body == expected { return (true, "") }
    return (false, "size \(size): \(firstDifference(response.body, expected))")
}

/// One relay with one route in front of one nginx.
struct RelayUnderTest {
    let origin: NginxOrigin
    let relay: RelayProcess

    init(route: RouteOptions, sizes: [Int] = bodySizes, workers: Int = 2, admin: AdminOptions? = nil,
         limits: [LimitOption] = [], timeouts: [TimeoutOption] = []) throws {
        origin = try NginxOrigin(fileSizes: sizes)
        relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: route, workers: workers,
                                 admin: admin, limits: limits, timeouts: timeouts)
    }
}
