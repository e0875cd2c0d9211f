import Foundation
import Glibc
import ODBTestSupport
import Testing

extension RelayTests {
    /// SIGTERM: no new connections, in-flight exchanges finish within the grace period, the
    /// kernel state goes away.
    @Suite struct Shutdown {
        static let size = 67_108_864

        @Test(arguments: relayModes)
        func downloadInFlightFinishesWithinTheGracePeriod(mode: RouteMode) throws {
            let origin = try NginxOrigin(fileSizes: [Self.size])
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(mode),
                                         timeouts: [.shutdownGrace("20s")])
            let ownSet = "\(relay.pinRoot)/relay-\(relay.pid)"
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            var signalled: Date?
            var refusedWhileDraining = false
            try client.send("GET /files/\(Self.size).bin HTTP/1.1\r\nHost: test\r\n\r\n")
            let response = try client.readResponse { received in
                guard received >= 4 << 20, signalled == nil else { return 0 }
                relay.signal(SIGTERM)
                signalled = Date()
                #expect(relay.waitForLog("stopping"))
                refusedWhileDraining = Self.connectionsRefused(port: relay.port)
                return 0
            }
            #expect(response.body == (try TestContent.bytes(size: Self.size)), "\(mode): the download in flight completes exactly")
            #expect(refusedWhileDraining, "\(mode): no new connections once stopping")
            #expect(relay.exits(within: 10), "\(mode): the relay exits once its last exchange is done")
            let elapsed = Date().timeIntervalSince(try #require(signalled))
            #expect(elapsed < 20, "\(mode): within the grace period (\(elapsed) s)")
            #expect(relay.process.terminationStatus == 0, "\(mode): a clean exit")
            #expect(!FileManager.default.fileExists(atPath: ownSet), "\(mode): no pins are left")
        }

        /// Polls until connecting fails (workers close their listeners within 100 ms of the stop).
        static func connectionsRefused(port: Int) -> Bool {
            eventually {
                guard let client = try? TestHTTPClient(port: port) else { return true }
                client.close()
                return false
            }
        }

        @Test func exchangeOutlastingTheGracePeriodIsCutAndTheRelayExits() throws {
            let origin = try NginxOrigin(fileSizes: [Self.size])
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel),
                                         timeouts: [.shutdownGrace("1s")])
            let ownSet = "\(relay.pinRoot)/relay-\(relay.pid)"
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            try client.send("GET /files/\(Self.size).bin HTTP/1.1\r\nHost: test\r\n\r\n")
            var received = [UInt8](repeating: 0, count: 1 << 20)
            #expect(recv(client.fd, &received, received.count, Int32(MSG_WAITALL)) == received.count)
            let signalled = Date()
            relay.signal(SIGTERM)
            #expect(relay.exits(within: 10), "the relay does not wait for a reader that stopped")
            let elapsed = Date().timeIntervalSince(signalled)
            #expect(elapsed >= 0.9 && elapsed < 8, "it waited for the 1 s grace period: \(elapsed) s")
            #expect(!FileManager.default.fileExists(atPath: ownSet), "no pins are left")
            #expect(throws: TestHTTPClient.ClosedEarly.self, "the cut exchange ends in a closed connection") {
                _ = try client.readResponse()
            }
        }
    }
}
