import NIOCore
import NIOEmbedded
import NIOHTTP1

/// llhttp, through swift-nio's HTTP/1 decoders, observed from outside.
///
/// NIO does not say how it framed a body, so the head is followed by `probe`: a valid chunked
/// body, then a request. The body bytes NIO delivers before the message's end tell the
/// framing: none, the probe's first N bytes (a length), "hello" (chunked), all of it until the
/// connection closes, or all of it and still waiting (a length beyond the probe).
enum LLHTTPParser {
    static let probe = Array("5\r\nhello\r\n0\r\n\r\nGET /next HTTP/1.1\r\nHost: next\r\n\r\n".utf8)

    /// llhttp's verdict on `head` (a whole input when the relay rejected it, else the head the
    /// relay found, so both frame the same following bytes).
    static func verdict(_ head: [UInt8], isRequest: Bool) -> Verdict {
        let channel: EmbeddedChannel
        if isRequest {
            channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)))
        } else {
            channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPResponseDecoder(
                leftOverBytesStrategy: .forwardBytes, informationalResponseStrategy: .forward)))
            // The response decoder learns the request method from the request written through it.
            _ = try? channel.writeOutbound(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")))
        }
        var events = Events()
        var refused = false
        do {
            try channel.writeInbound(channel.allocator.buffer(bytes: head + probe))
        } catch {
            refused = true
        }
        events.collect(from: channel, isRequest: isRequest)
        let endedBeforeClose = events.ended
        // End of stream: a response read until close ends only here, and a length beyond the
        // probe fails here, which is no verdict on the head.
        _ = try? channel.finish()
        events.collect(from: channel, isRequest: isRequest)
        guard events.sawHead else { return refused ? .rejected : .incomplete }
        if events.ended && !endedBeforeClose { return .accepted(.untilClose) }
        guard events.ended else {
            return refused ? .rejected : events.body.count == probe.count ? .accepted(.beyondProbe) : .incomplete
        }
        switch events.body {
        case []: return .accepted(.empty)
        case Array("hello".utf8): return .accepted(.chunked)
        default: return .accepted(.length(events.body.count))
        }
    }

    /// The first message's parts: its head, its body bytes and whether it ended.
    private struct Events {
        var sawHead = false
        var body: [UInt8] = []
        var ended = false

        mutating func collect(from channel: EmbeddedChannel, isRequest: Bool) {
            while !ended {
                if isRequest {
                    guard let part = try? channel.readInbound(as: HTTPServerRequestPart.self) else { return }
                    switch part {
                    case .head: sawHead = true
                    case let .body(buffer): body += buffer.readableBytesView
                    case .end: ended = true
                    }
                } else {
                    guard let part = try? channel.readInbound(as: HTTPClientResponsePart.self) else { return }
                    switch part {
                    case let .head(head):
                        sawHead = true
                        // An interim response is a whole message: NIO sends no end for it.
                        ended = head.status.code < 200 && head.status.code != 101
                    case let .body(buffer): body += buffer.readableBytesView
                    case .end: ended = sawHead
                    }
                }
            }
        }
    }
}
