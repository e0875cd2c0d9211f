import Glibc
import ODBHTTP
import ODBTestSupport
import Testing
@testable import ODBRelay

/// `BodyTransfer` with its copy and splice movers over real sockets: a writer feeds the source
/// socket's peer, the transfer moves the body, a reader drains the target socket's peer.
@Suite struct SessionBodyTransferTests {
    /// Two connected sockets: `near` is what the relay holds, `far` the other end.
    struct Pair {
        let near: Int32
        let far: Int32
    }

    /// A socketpair (AF_UNIX) or a TCP connection over loopback, both ends non-blocking.
    static func pair(tcp: Bool) throws -> Pair {
        if !tcp {
            var fds: [Int32] = [0, 0]
            try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0)
            return Pair(near: fds[0], far: fds[1])
        }
        let listener = try #require(loopbackListener())
        defer { close(listener.fd) }
        let far = try #require(connectLoopback(port: listener.port))
        let near = accept(listener.fd, nil, nil)
        try #require(near >= 0)
        for fd in [near, far] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        return Pair(near: near, far: far)
    }

    /// One body's journey: input written into the source's far end, output read from the target's.
    final class Rig {
        let loop: EventLoop
        let sourcePair: Pair
        let targetPair: Pair
        let source: SocketChannel
        let target: SocketChannel
        var fallbacks: [FallbackReason] = []
        let splicePipes = SplicePipes()
        /// Stands for the source having joined the verdict map, which only a kernel path can do.
        var sourceInVerdictMap = false

        init(tcp: Bool) throws {
            loop = try EventLoop()
            sourcePair = try SessionBodyTransferTests.pair(tcp: tcp)
            targetPair = try SessionBodyTransferTests.pair(tcp: tcp)
            source = SocketChannel(fd: sourcePair.near, loop: loop)
            target = SocketChannel(fd: targetPair.near, loop: loop)
        }

        deinit {
            source.close()
            target.close()
            close(sourcePair.far)
            close(targetPair.far)
        }

        func body(_ framing: BodyTransfer.Framing, path: BodyTransfer.Path) -> BodyTransfer {
            let movers = BodyMovers(kernel: nil, isVerdictSource: { [unowned self] in $0 === self.source && self.sourceInVerdictMap },
                                    splicePipes: splicePipes, count: { [unowned self] in self.fallbacks.append($0) })
            return BodyTransfer(source: source, target: target, framing: framing, path: path, movers: movers)
        }

        /// Writes `input` (then, with `endAfter`, shuts the writer down), pumps the body until it
        /// is no longer progressing and its bytes are out, and returns what reached the far end.
        /// Waits on the sockets, never on a clock; `deadline` only ends a run that hangs.
        func run(_ body: BodyTransfer, input: [UInt8], endAfter: Bool, expecting: Int) -> [UInt8] {
            var written = 0
            var ended = false
            var output = [UInt8]()
            var scratch = [UInt8](repeating: 0, count: 64 * 1024)
            let deadline = Monotonic.now() + 30
            while Monotonic.now() < deadline {
                if written < input.count {
                    let sent = input[written...].withUnsafeBytes { send(sourcePair.far, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if sent > 0 { written += sent }
                }
                if written == input.count && endAfter && !ended {
                    shutdown(sourcePair.far, Int32(SHUT_WR))
                    ended = true
                }
                if !body.isFinished { _ = body.pump() }
                _ = target.flush()
                let received = scratch.withUnsafeMutableBytes { recv(targetPair.far, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if received > 0 { output += scratch[..<received] }
                if body.isFinished && target.outbound.isEmpty && output.count >= expecting { return output }
                if received <= 0 {
                    var fds = [pollfd(fd: source.fd, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: targetPair.far, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: sourcePair.far, events: written < input.count ? Int16(POLLOUT) : 0, revents: 0)]
                    _ = poll(&fds, nfds_t(fds.count), 50)
                    // Readiness reaches the source as the event loop hands it over: a channel
                    // reads again only once told its socket is readable.
                    if fds[0].revents != 0 { source.handle(events: UInt32(fds[0].revents)) }
                }
            }
            return output
        }

        /// The bytes left on the source after the body: in `inbound` and still in the socket.
        func leftOnSource() -> [UInt8] {
            var left = [UInt8]()
            source.inbound.withUnsafeBytes { left += $0 }
            var scratch = [UInt8](repeating: 0, count: 4096)
            while true {
                let received = scratch.withUnsafeMutableBytes { recv(source.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                guard received > 0 else { return left }
                left += scratch[..<received]
            }
        }
    }

    static func content(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
    }

    static func chunked(_ data: [UInt8], chunk: Int) -> [UInt8] {
        var encoded = [UInt8]()
        var offset = 0
        while offset < data.count {
            let end = min(offset + chunk, data.count)
            encoded += Array("\(String(end - offset, radix: 16))\r\n".utf8) + data[offset..<end] + Array("\r\n".utf8)
            offset = end
        }
        return encoded + Array("0\r\n\r\n".utf8)
    }

    static let next = Array("GET /next HTTP/1.1\r\n\r\n".utf8)

    @Test(arguments: [(BodyTransfer.Path.copy, false), (.copy, true), (.splice, true)])
    func lengthBodyEndsAtItsLengthAndLeavesTheNextRequest(_ path: BodyTransfer.Path, _ tcp: Bool) throws {
        let rig = try Rig(tcp: tcp)
        let data = Self.content(300_000)
        let body = rig.body(.length(remaining: UInt64(data.count)), path: path)
        let output = rig.run(body, input: data + Self.next, endAfter: false, expecting: data.count)
        #expect(body.outcome == .finished)
        #expect(output == data)
        #expect(body.bytesMoved == UInt64(data.count))
        #expect(body.bytesByPath[path] ?? 0 > 0, "the \(path) path carried bytes")
        #expect(rig.leftOnSource() == Self.next)
        #expect(rig.fallbacks.isEmpty)
    }

    @Test(arguments: [false, true])
    func chunkedBodyEndsAtItsLastChunk(_ tcp: Bool) throws {
        let rig = try Rig(tcp: tcp)
        let encoded = Self.chunked(Self.content(150_000), chunk: 7_000)
        let body = rig.body(.chunked(ChunkedScanner()), path: .copy)
        let output = rig.run(body, input: encoded + Self.next, endAfter: false, expecting: encoded.count)
        #expect(body.outcome == .finished)
        #expect(output == encoded)
        #expect(rig.leftOnSource() == Self.next)
    }

    @Test func malformedChunkedBodyFailsWithATypedReason() throws {
        let rig = try Rig(tcp: false)
        let body = rig.body(.chunked(ChunkedScanner()), path: .copy)
        _ = rig.run(body, input: Array("zz\r\nhello\r\n".utf8), endAfter: false, expecting: 0)
        guard case .failed(.invalidChunked) = body.outcome else {
            Issue.record("outcome \(body.outcome)")
            return
        }
    }

    @Test(arguments: [(BodyTransfer.Path.copy, false), (.splice, true)])
    func untilCloseBodyEndsWhenItsSourceCloses(_ path: BodyTransfer.Path, _ tcp: Bool) throws {
        let rig = try Rig(tcp: tcp)
        let data = Self.content(200_000)
        let body = rig.body(.untilClose, path: path)
        let output = rig.run(body, input: data, endAfter: true, expecting: data.count)
        #expect(body.outcome == .finished)
        #expect(output == data)
    }

    @Test(arguments: [(BodyTransfer.Path.copy, false), (.splice, true)])
    func lengthBodyWhoseSourceEndsEarlyIsTruncated(_ path: BodyTransfer.Path, _ tcp: Bool) throws {
        let rig = try Rig(tcp: tcp)
        let data = Self.content(50_000)
        let body = rig.body(.length(remaining: 80_000), path: path)
        let output = rig.run(body, input: data, endAfter: true, expecting: data.count)
        #expect(body.outcome == .truncated)
        #expect(output == data, "every byte that arrived was passed on")
    }

    /// A worker keeps a few empty pipes, not every one a burst of bodies made: each spare holds
    /// part of its user's pipe quota.
    @Test func aWorkerKeepsAFewSparePipes() throws {
        let pipes = SplicePipes()
        let taken = try (0..<(SplicePipes.mostSpares + 4)).map { _ in try pipes.take() }
        #expect(pipes.spareCount == 0)
        for pipe in taken { pipes.giveBack(pipe) }
        #expect(pipes.spareCount == SplicePipes.mostSpares)
    }

    /// A spliced body gives its pipe back empty once it is over, and the next body takes it.
    @Test func splicedBodiesInTurnShareOnePipe() throws {
        let rig = try Rig(tcp: true)
        let data = Self.content(300_000)
        for round in 0..<2 {
            var body: BodyTransfer? = rig.body(.length(remaining: UInt64(data.count)), path: .splice)
            let output = rig.run(body!, input: data, endAfter: false, expecting: data.count)
            #expect(output == data, "round \(round)")
            #expect(body?.bytesByPath[.splice] == UInt64(data.count))
            #expect(rig.splicePipes.spareCount == 0, "round \(round): the pipe is the body's while it lives")
            body = nil
            #expect(rig.splicePipes.spareCount == 1, "round \(round): the pipe is back, and only one was made")
        }
    }

    /// splice(2) cannot read a socket in the verdict map: the body falls back to copy, counted once.
    @Test func spliceFromASourceInTheVerdictMapFallsBackToCopy() throws {
        let rig = try Rig(tcp: true)
        rig.sourceInVerdictMap = true
        let data = Self.content(100_000)
        let body = rig.body(.length(remaining: UInt64(data.count)), path: .splice)
        let output = rig.run(body, input: data, endAfter: false, expecting: data.count)
        #expect(output == data)
        #expect(body.outcome == .finished)
        #expect(body.path == .copy)
        #expect(body.bytesByPath[.splice] == nil)
        #expect(rig.fallbacks == [.sourceInVerdictMap])
    }

    /// A body retried on another target starts again there on the same path.
    @Test func retargetedBodyMovesToTheNewTarget() throws {
        let rig = try Rig(tcp: false)
        let other = try Rig(tcp: false)
        let data = Self.content(10_000)
        let body = rig.body(.length(remaining: UInt64(data.count)), path: .copy)
        let moved = body.retargeted(to: other.target)
        #expect(moved.path == .copy)
        #expect(moved.target === other.target)
        let sent = data.withUnsafeBytes { send(rig.sourcePair.far, $0.baseAddress, $0.count, 0) }
        #expect(sent == data.count)
        var output = [UInt8]()
        var scratch = [UInt8](repeating: 0, count: 16_384)
        let deadline = Monotonic.now() + 30
        while output.count < data.count && Monotonic.now() < deadline {
            _ = moved.pump()
            _ = other.target.flush()
            var fds = [pollfd(fd: other.targetPair.far, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 1, 50)
            let received = scratch.withUnsafeMutableBytes { recv(other.targetPair.far, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if received > 0 { output += scratch[..<received] }
        }
        #expect(output == data)
        #expect(moved.outcome == .finished)
    }
}
