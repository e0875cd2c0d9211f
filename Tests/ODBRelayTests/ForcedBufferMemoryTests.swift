import Glibc
import Testing
@testable import ODBRelay

/// `ForcedBufferMemory` counts each side of each socket at the size it is forced to now: both
/// sides of one socket add up, a share set lower gives the difference back, a reservation past
/// the limit changes nothing, and a close gives back what the socket held.
@Suite struct ForcedBufferMemoryTests {
    static let mib = 1 << 20

    @Test func sharesFollowEachSideAndTheLimitIsAllOrNone() throws {
        let loop = try EventLoop()
        let channels = try (0..<3).map { _ -> SocketChannel in
            var fds: [Int32] = [0, 0]
            try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
            close(fds[1])
            return SocketChannel(fd: fds[0], loop: loop)
        }
        defer { channels.forEach { $0.close() } }
        let (upstream, client, other) = (channels[0], channels[1], channels[2])
        let memory = ForcedBufferMemory(limit: 24 * Self.mib)

        #expect(memory.reserve([.init(channel: upstream, side: .receive, bytes: 8 * Self.mib),
                                .init(channel: client, side: .send, bytes: 8 * Self.mib)]))
        #expect(memory.inUse == 16 * Self.mib)
        // A client that uploads as well holds both sides.
        #expect(memory.reserve([.init(channel: client, side: .receive, bytes: 4 * Self.mib)]))
        #expect(memory.inUse == 20 * Self.mib)
        #expect(client.forcedShares.total == 12 * Self.mib)

        #expect(!memory.reserve([.init(channel: upstream, side: .receive, bytes: 8 * Self.mib),
                                 .init(channel: other, side: .receive, bytes: 8 * Self.mib)]),
                "past the limit")
        #expect(memory.inUse == 20 * Self.mib, "a refused reservation changes nothing")
        #expect(other.forcedShares.total == 0)

        // The upstream leaves the verdict map at 4 MiB: the rest is given back, and room made.
        #expect(memory.reserve([.init(channel: upstream, side: .receive, bytes: 4 * Self.mib)]))
        #expect(memory.inUse == 16 * Self.mib)
        #expect(memory.reserve([.init(channel: other, side: .receive, bytes: 8 * Self.mib)]))
        #expect(memory.inUse == 24 * Self.mib)

        client.close()
        #expect(memory.inUse == 12 * Self.mib, "a closed socket gives back both of its sides")
    }
}
