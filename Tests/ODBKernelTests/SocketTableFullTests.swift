import Foundation
import ODBTestSupport
import OdbShared
import Testing
@testable import ODBKernel

/// A full odb_socks turns every new socket's bodies into copies; the relay and `status` say so.
@Suite(.serialized) struct SocketTableFullTests {
    @Test func fullSocketTableIsLoggedCountedAndShown() throws {
        let fixture = try KernelFixture()
        let objects = try KernelObjects.openOrLoad(pinDirectory: fixture.pinDirectory)
        // Cookies the kernel never hands out this soon: the top of the 64-bit range.
        for index in 0..<UInt64(ODB_MAX_SOCKETS) {
            try objects.socks.update(UInt64.max - index, odb_sock())
        }
        let admin = freePort()
        let relay = try RelayProcess(upstreams: ["127.0.0.1:1"], route: RouteOptions(.kernel),
                                     admin: .listen("127.0.0.1:\(admin)"), pinRoot: fixture.pinDirectory)
        // The relay's self-test and admin connections are sockets of its hooked cgroup.
        let scrape = try MetricsScrape(port: admin)
        #expect(relay.waitForLog("odb_socks is full"), "\(relay.log)")
        #expect(relay.log.contains("sockets_missed"), "the message says how many sockets it missed")
        #expect((try MetricsScrape(port: admin)["odb_sockets_table_full_total"] ?? 0) > 0, "\(scrape)")
        let table = try CommandRunner.odb("status", "--pin", fixture.pinDirectory)
        #expect(table.stdout.contains("WARNING: odb_socks was full"), "\(table.stdout)")
        let counters = StatusSnapshot.read(objects).counters
        #expect((counters["sockets_table_full"] ?? 0) > 0)
        #expect(relay.stopsGracefully())
    }
}
