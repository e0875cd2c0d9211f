import Foundation
import ODBTestSupport

/// Sizes around the copy threshold (64 KiB), the 64 KiB and 1 MiB boundaries, and large bodies.
let bodySizes = [0, 1, 1000, 65535, 65536, 65537, 1_048_575, 1_048_576, 1_048_577, 4_194_307, 67_108_864]

let relayModes = ["kernel", "splice", "copy"]

/// Fetches `/files/SIZE.bin` on an open connection and checks every byte.
func fetchAndCompare(_ client: TestHTTPClient, size: Int) throws -> (ok: Bool, detail: String) {
    let response = try client.get("/files/\(size).bin")
    guard response.status == 200 else { return (false, "status \(response.status) for size \(size)") }
    let expected = try TestContent.bytes(size: size)
    if response.body == expected { return (true, "") }
    return (false, "size \(size): \(firstDifference(response.body, expected))")
}

/// One relay in front of one nginx, for one mode.
struct RelayUnderTest {
    let origin: NginxOrigin
    let relay: RelayProcess

    init(mode: String, sizes: [Int] = bodySizes, workers: Int = 2, extraRoute: String = "", extraTop: String = "") throws {
        origin = try NginxOrigin(fileSizes: sizes)
        relay = try RelayProcess(
            upstreams: ["127.0.0.1:\(origin.port)"], mode: mode, workers: workers,
            extraRoute: extraRoute.isEmpty ? "        kernel_min_body: 64KiB" : extraRoute, extraTop: extraTop)
    }
}
