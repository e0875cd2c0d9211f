import Foundation
import ODBTestSupport
import Testing

extension RelayTests {
    /// A spliced body's sockets hold the memory their reader earned (docs/PERFORMANCE.md §4):
    /// a slow reader's stay at the starting megabyte, a fast one's grow to what autotuning gives.
    @Suite struct SpliceMemory {
        @Test func slowReaderKeepsTheStartingMemory() throws {
            let size = 64 << 20
            let setup = try RelayUnderTest(route: RouteOptions(.splice), sizes: [size])
            let client = try TestHTTPClient(port: setup.relay.port)
            defer { client.close() }
            var peaks = ProcessMemory.Peaks(pid: setup.relay.pid)
            var sendBuffers: Set<Int> = []
            // Slow for 6 s and for 20 samples of the relay's sockets at the least: on a busy
            // machine a sample takes longer than its 0.25 s interval (19 in 6 s, seen in CI).
            let slowUntil = Date().addingTimeInterval(6)
            try client.send("GET /files/\(size).bin HTTP/1.1\r\nHost: test\r\n\r\n")
            let response = try client.readResponse { _ in
                guard Date() < slowUntil || peaks.samples < 20 else { return 0 }
                peaks.sample()
                if let buffer = try? ProcessMemory.sendBuffer(pid: setup.relay.pid, peerPort: client.localPort) {
                    sendBuffers.insert(buffer)
                }
                return 62_500  // 64 KiB per 62.5 ms: about 1 MiB/s
            }
            #expect(response.status == 200)
            let expected = try TestContent.bytes(size: size)
            #expect(response.body == expected, "slow download: \(firstDifference(response.body, expected))")
            // The relay's socket towards the client keeps the starting send memory; left to
            // autotuning it grows to tcp_wmem's maximum however slowly the client reads.
            #expect(sendBuffers == [1 << 20], "send buffers seen towards the slow client: \(sendBuffers)")
            // The source's receive memory (1-2 MiB, what autotuning had reached when the body
            // started), the target's 1 MiB and the 1 MiB pipe. Left to autotuning the source alone
            // held about 10 MiB (tools/slow_readers.py).
            #expect(peaks.samples >= 20, "the relay's sockets were seen \(peaks.samples) times")
            #expect(peaks.charged < 6 << 20, "the relay's sockets were charged \(peaks.charged >> 20) MiB")
            #expect(peaks.held < 8 << 20, "the relay held \(peaks.held >> 20) MiB of the body while the client read slowly")
        }

        /// Bodies curl fetches: two seconds or more on loopback (24 took 0.8 s), for `ss` to
        /// sample the connection every few tens of milliseconds while it is open.
        static let fastBodies = 64

        /// curl, which reads as fast as the relay sends, fetches its bodies over one connection
        /// from a fixed local port while the relay's send buffer towards that port is sampled.
        @Test func fastReaderEarnsWhatAutotuningGives() throws {
            let size = 64 << 20
            let maximum = try #require(autotuningMaximum("tcp_wmem"))
            let setup = try RelayUnderTest(route: RouteOptions(.splice), sizes: [size])
            let localPort = freePort()
            let url = "http://127.0.0.1:\(setup.relay.port)/files/\(size).bin"
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = ["-sS", "--local-port", "\(localPort)", "-w", "%{http_code} %{size_download}\\n"]
                + Array(repeating: ["-o", "/dev/null", url], count: Self.fastBodies).flatMap { $0 }
            let output = Pipe()
            curl.standardOutput = output
            try curl.run()
            var seen: Set<Int> = []
            while curl.isRunning {
                if let buffer = try? ProcessMemory.sendBuffer(pid: setup.relay.pid, peerPort: localPort) { seen.insert(buffer) }
                usleep(20_000)
            }
            let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(curl.terminationStatus == 0)
            #expect(report == String(repeating: "200 \(size)\n", count: Self.fastBodies), "curl: \(report)")
            #expect(seen.contains(maximum), "send buffers seen towards the fast client: \(seen.sorted())")
        }
    }
}
