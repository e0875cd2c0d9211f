import Glibc
import ODBHTTP
import Testing
@testable import ODBRelay

/// `HeadReader` on a socketpair: heads that arrive in pieces, the HTTP/2 preface, a peer that
/// closes mid-head.
@Suite struct SessionHeadReaderTests {
    final class Client {
        let loop: EventLoop
        let channel: SocketChannel
        let far: Int32

        init() throws {
            loop = try EventLoop()
            var fds: [Int32] = [0, 0]
            try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0)
            channel = SocketChannel(fd: fds[0], loop: loop)
            far = fds[1]
        }

        deinit {
            channel.close()
            close(far)
        }

        func send(_ text: String) {
            send(Array(text.utf8))
        }

        func send(_ bytes: [UInt8]) {
            #expect(bytes.withUnsafeBytes { Glibc.send(far, $0.baseAddress, $0.count, 0) } == bytes.count)
        }

        /// Hands the socket's readiness to the channel as the event loop does: a channel reads
        /// again only once told its socket is readable.
        func deliverReadiness() {
            var fd = pollfd(fd: channel.fd, events: Int16(POLLIN), revents: 0)
            if poll(&fd, 1, 0) > 0 { channel.handle(events: UInt32(UInt16(bitPattern: fd.revents))) }
        }
    }

    static let limits = HeadLimits(maxHeadBytes: 8192, maxHeaderCount: 100)

    /// Reads until the reader answers something other than "bytes arrived".
    static func settle(_ reader: inout HeadReader<RequestHead>, _ client: Client, first: Bool = false) -> HeadReader<RequestHead>.Opening {
        while true {
            client.deliverReadiness()
            let opening = reader.next(from: client.channel, firstOnConnection: first, limits: limits, now: 1)
            if case .http1(.received) = opening { continue }
            return opening
        }
    }

    @Test func headArrivingAByteAtATimeIsReadOnceComplete() throws {
        let client = try Client()
        var reader = HeadReader<RequestHead>()
        let request = Array("GET /a HTTP/1.1\r\nHost: example\r\n\r\n".utf8)
        for byte in request.dropLast() {
            client.send([byte])
            let opening = Self.settle(&reader, client)
            guard case .http1(.waiting) = opening else {
                Issue.record("a partial head is not complete: \(opening) after byte \(byte)")
                return
            }
        }
        #expect(reader.startedAt == 1, "the head's first byte started the head-read clock")
        client.send("\n")
        guard case let .http1(.head(head)) = Self.settle(&reader, client) else {
            Issue.record("the head completed")
            return
        }
        #expect(head.method == "GET")
        #expect(reader.startedAt == nil)
        #expect(client.channel.inbound.isEmpty, "the head was consumed")
    }

    @Test func http2PrefaceIsRecognisedOnlyFirstOnAConnection() throws {
        let client = try Client()
        var reader = HeadReader<RequestHead>()
        client.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        guard case .http2Preface = Self.settle(&reader, client, first: true) else {
            Issue.record("the preface opens an opaque tunnel")
            return
        }
        var later = HeadReader<RequestHead>()
        guard case .http1(.invalid) = Self.settle(&later, client, first: false) else {
            Issue.record("after the first request the preface is an invalid head")
            return
        }
    }

    @Test func peerClosingMidHeadEndsWithoutAHead() throws {
        let client = try Client()
        var reader = HeadReader<RequestHead>()
        client.send("GET / HTTP/1.1\r\nHo")
        shutdown(client.far, Int32(SHUT_WR))
        var opening = Self.settle(&reader, client)
        if case .http1(.endOfStream) = opening { opening = Self.settle(&reader, client) }
        guard case .http1(.closedWithoutHead) = opening else {
            Issue.record("got \(opening)")
            return
        }
    }

    @Test func responseHeadLeavesTheBodyInTheBuffer() throws {
        let client = try Client()
        var reader = HeadReader<ResponseHead>()
        client.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        var step = reader.next(from: client.channel, limits: Self.limits, now: 1)
        while case .received = step { step = reader.next(from: client.channel, limits: Self.limits, now: 1) }
        guard case let .head(head) = step else {
            Issue.record("got \(step)")
            return
        }
        #expect(head.status == 200)
        #expect(client.channel.inbound.count == 5)
    }
}
