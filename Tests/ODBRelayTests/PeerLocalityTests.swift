import Glibc
import Testing
@testable import ODBRelay

/// Whether a connection's peer is on the relay's host, which `mode: auto` asks before splicing:
/// loopback addresses of both families (IPv4 mapped into IPv6 too) and the socket's own address.
@Suite struct PeerLocalityTests {
    static func address(_ host: String) throws -> SocketAddress {
        try #require(try SocketAddress.resolve(host: host, port: 80).first)
    }

    @Test func loopbackAddressesAreRecognised() throws {
        for host in ["127.0.0.1", "127.20.30.40", "::1", "::ffff:127.0.0.1"] {
            #expect(try Self.address(host).isLoopback, "\(host)")
        }
        for host in ["10.0.0.1", "128.0.0.1", "::2", "::ffff:10.0.0.1", "fe80::1"] {
            #expect(try !Self.address(host).isLoopback, "\(host)")
        }
    }

    @Test func sameHostComparesAddressesNotPorts() throws {
        let one = try #require(try SocketAddress.resolve(host: "10.1.2.3", port: 80).first)
        let other = try #require(try SocketAddress.resolve(host: "10.1.2.3", port: 8080).first)
        #expect(one.sameHost(as: other))
        #expect(!one.sameHost(as: try Self.address("10.1.2.4")))
        #expect(!one.sameHost(as: try Self.address("::ffff:10.1.2.3")), "families differ")
    }

    /// A real connection to this host's loopback is on this host; the same peer address
    /// measured against a socket bound elsewhere is not, unless it is a loopback address.
    @Test func aConnectionOverLoopbackIsOnThisHost() throws {
        let listener = try Socket.listen(on: try #require(try SocketAddress.resolve(host: "127.0.0.1", port: 0).first))
        defer { close(listener) }
        let port = try #require(Socket.localAddress(listener)).port
        let target = try #require(try SocketAddress.resolve(host: "127.0.0.1", port: port).first)
        let client = try Socket.connect(to: target)
        defer { close(client) }
        #expect(Socket.isOnThisHost(target, socket: client))
        #expect(!Socket.isOnThisHost(try Self.address("192.0.2.1"), socket: client), "a peer address the socket does not share")
    }
}
