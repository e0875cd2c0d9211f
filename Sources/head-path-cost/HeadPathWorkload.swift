import CAllocationCounter
import ODBHTTP

/// The ODBHTTP work the relay does for one keep-alive GET exchange, in the order
/// `ClientSession` does it: parse the request head, judge its framing, path, persistence and
/// upgrade, rewrite it and write it to the upstream's queue; then parse the response head, judge
/// its framing and persistence, rewrite it and write it to the client's queue. Its route names no
/// host, as most do, so the Host value is not read.
public struct HeadPathWorkload: Sendable {
    /// A request as curl sends it through a relay that an edge already passed.
    public static let request = Array((
        "GET /bytes/1024 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n"
            + "Accept-Encoding: gzip, deflate\r\nX-Forwarded-For: 198.51.100.7\r\nConnection: keep-alive\r\n\r\n"
    ).utf8)
    /// The built-in origin's answer, with a Date and Server as most origins add.
    public static let response = Array((
        "HTTP/1.1 200 OK\r\nDate: Thu, 03 Dec 2026 09:00:00 GMT\r\nServer: origin\r\nContent-Length: 1024\r\n"
            + "Content-Type: application/octet-stream\r\n\r\n"
    ).utf8)

    let rewrite = ProxyHeaderRewrite(pseudonym: "odb-redirect")
    let limits = HeadLimits()

    public init() {}

    /// Runs one exchange's head work and returns the number of head bytes it produced.
    public func exchange() -> Int {
        var requestParser = HeadParser<RequestHead>(limits: limits)
        guard case let .complete(request, _) = Self.request.withUnsafeBytes({ requestParser.parse($0) }),
              case .success(.none) = requestFraming(request),
              !request.target.hasDotSegment,
              keepAlive(request: request)
        else { preconditionFailure("the sample request no longer parses as a keep-alive GET") }
        let upgrade = request.headers.contains(.upgrade)
        // As the session does: the request line stays for the response, the head is rewritten in place.
        let line = RequestLine(request)
        let upstreamHead = rewrite.request(consume request, clientAddress: "127.0.0.1", trustForwarded: false, forwardingUpgrade: upgrade)
        let upstreamBytes = Self.writeToQueue(upstreamHead)

        var responseParser = HeadParser<ResponseHead>(limits: limits)
        guard case let .complete(response, _) = Self.response.withUnsafeBytes({ responseParser.parse($0) }),
              case .success(.contentLength) = responseFraming(response, requestMethod: line.method),
              keepAlive(response: response)
        else { preconditionFailure("the sample response no longer parses as a keep-alive 200") }
        return upstreamBytes + Self.writeToQueue(rewrite.response(consume response))
    }

    /// The relay writes both heads straight into a connection's send queue, counted once as
    /// `ByteQueue.append` counts them. Returns the bytes written.
    private static func writeToQueue(_ head: some WireHead) -> Int {
        let count = head.serializedCount
        withUnsafeTemporaryAllocation(byteCount: count, alignment: 1) { head.write(into: $0) }
        return count
    }

    /// Heap allocations per exchange, averaged over `exchanges` runs on this thread.
    public func allocationsPerExchange(exchanges: Int) -> Double {
        _ = exchange()
        allocation_counter_start()
        var produced = 0
        for _ in 0..<exchanges {
            produced &+= exchange()
        }
        let allocations = allocation_counter_stop()
        precondition(produced > 0)
        return Double(allocations) / Double(exchanges)
    }
}
