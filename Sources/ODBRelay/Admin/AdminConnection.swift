import Glibc
import ODBHTTP

/// One scrape: reads a request head, writes the answer, closes.
final class AdminConnection: ChannelOwner {
    private let channel: SocketChannel
    private unowned let server: AdminServer
    private var answered = false
    private var timeout: TimerHeap.ID?
    static let maxHeadBytes = 8192
    /// A client that sends no complete head within this is dropped; a scraper sends one at once.
    static let headTimeout = 2.0

    init(fd: Int32, server: AdminServer, loop: EventLoop) {
        channel = SocketChannel(fd: fd, loop: loop)
        self.server = server
        channel.owner = self
        channel.wantRead = true
        timeout = loop.schedule(after: Self.headTimeout) { [weak self] in self?.close() }
    }

    func channelReady(_ channel: SocketChannel, events: UInt32) {
        if !answered {
            switch channel.fill(max: Self.maxHeadBytes) {
            case .endOfStream, .failed:
                close()
                return
            case .bytes, .wouldBlock:
                break
            }
            let limits = HeadLimits(maxHeadBytes: Self.maxHeadBytes, maxHeaderCount: 100)
            switch channel.inbound.withUnsafeBytes({ RequestHead.parse($0, limits: limits) }) {
            case .needMore:
                return
            case .invalid:
                answer(status: "400 Bad Request", body: Array("bad request\n".utf8), head: false)
            case let .complete(head, _):
                route(head)
            }
        }
        if !channel.flush() || channel.outbound.isEmpty { close() }
    }

    private func route(_ head: RequestHead) {
        let isHead = head.method == "HEAD"
        guard head.method == "GET" || isHead else {
            answer(status: "405 Method Not Allowed", body: Array("only GET and HEAD\n".utf8), head: isHead)
            return
        }
        guard head.target.path == "/metrics", let metrics = server.metrics else {
            answer(status: "404 Not Found", body: Array("the admin endpoint serves /metrics\n".utf8), head: isHead)
            return
        }
        answer(status: "200 OK", body: metrics(), head: isHead, contentType: "text/plain; version=0.0.4; charset=utf-8")
    }

    private func answer(status: String, body: [UInt8], head: Bool, contentType: String = "text/plain; charset=utf-8") {
        answered = true
        channel.wantRead = false
        let lines = "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        channel.outbound.append(contentsOf: Array(lines.utf8))
        if !head { channel.outbound.append(contentsOf: body) }
    }

    func close() {
        if let timeout { channel.loop.cancel(timeout) }
        timeout = nil
        channel.close()
        server.closed(self)
    }
}
