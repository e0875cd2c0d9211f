import ODBHTTP

/// Reads one message head at a time from a socket, resuming its parser on every read so a
/// head that arrives a byte at a time costs linear work.
struct HeadReader<Head: Sendable> {
    /// What one attempt to read a head came to.
    enum Step {
        case head(Head)
        case invalid(HTTPParseError)
        /// Bytes arrived; parse again.
        case received
        /// This read found the end of stream; parse again to learn whether a head is complete.
        case endOfStream
        /// The socket ended with no complete head (nothing read, or a part).
        case closedWithoutHead
        case readFailed(errno: Int32)
        /// Nothing more to read now; the socket is watched for more.
        case waiting
    }

    /// Small reads while waiting for a head: body bytes read with it are copied, while the
    /// verdict takes everything after them (trimming a partly read skb).
    static var readSize: Int { 4096 }

    private var parser: HeadParser<Head>?
    private let makeParser: (HeadLimits) -> HeadParser<Head>
    /// When the first byte of the head being read was seen; nil between heads.
    private(set) var startedAt: Double?

    private init(makeParser: @escaping (HeadLimits) -> HeadParser<Head>) {
        self.makeParser = makeParser
    }

    /// Forgets a partly read head (the connection it came from is gone).
    mutating func reset() {
        parser = nil
        startedAt = nil
    }

    /// Parses what `channel` holds; a complete head is consumed from it.
    ///
    /// The parser is resumed where it is kept, not copied out and back, and an empty queue is
    /// not parsed at all: nothing can have arrived since the last parse left it `needMore`.
    private mutating func parse(_ channel: SocketChannel, limits: HeadLimits) -> HeadParseResult<Head> {
        if channel.inbound.isEmpty { return .needMore }
        if parser == nil { parser = makeParser(limits) }
        let parsed = channel.inbound.withUnsafeBytes { parser!.parse($0) }
        // Consumed: matching a case of a result still held copies the head inside it.
        switch consume parsed {
        case .needMore:
            return .needMore
        case let .complete(head, length):
            parser = nil
            channel.inbound.consume(length)
            startedAt = nil
            return .complete(head, headLength: length)
        case let .invalid(error):
            parser = nil
            return .invalid(error)
        }
    }

    private mutating func read(_ channel: SocketChannel, limits: HeadLimits, now: Double) -> Step {
        let parsed = parse(channel, limits: limits)
        switch consume parsed {
        case let .complete(head, _):
            return .head(head)
        case let .invalid(error):
            return .invalid(error)
        case .needMore:
            if !channel.inbound.isEmpty && startedAt == nil { startedAt = now }
            if channel.readClosed { return .closedWithoutHead }
            return Self.readMore(channel)
        }
    }

    private static func readMore(_ channel: SocketChannel) -> Step {
        switch channel.fill(max: readSize) {
        case .bytes: return .received
        case .endOfStream: return .endOfStream
        case let .failed(code): return .readFailed(errno: code)
        case .wouldBlock:
            channel.wantRead = true
            return .waiting
        }
    }
}

extension HeadReader where Head == RequestHead {
    init() {
        self.init(makeParser: { HeadParser<RequestHead>(limits: $0) })
    }

    /// What the first bytes of a client connection (or of the next request on it) came to.
    enum Opening {
        /// HTTP/2's prior-knowledge preface, which only a connection's first bytes can be.
        case http2Preface
        case http1(Step)
    }

    /// Reads the next request head from a client; `firstOnConnection` also looks for the
    /// HTTP/2 preface.
    mutating func next(from client: SocketChannel, firstOnConnection: Bool, limits: HeadLimits, now: Double) -> Opening {
        if client.inbound.isEmpty && client.readClosed { return .http1(.closedWithoutHead) }
        let preface = firstOnConnection ? client.inbound.withUnsafeBytes { HTTP2Preface.match($0) } : .none
        switch preface {
        case .complete:
            return .http2Preface
        case .partial:
            if !client.inbound.isEmpty && startedAt == nil { startedAt = now }
            return .http1(client.readClosed ? .closedWithoutHead : Self.readMore(client))
        case .none:
            return .http1(read(client, limits: limits, now: now))
        }
    }
}

extension HeadReader where Head == ResponseHead {
    init() {
        self.init(makeParser: { HeadParser<ResponseHead>(limits: $0) })
    }

    /// Reads the response head from an upstream.
    mutating func next(from upstream: SocketChannel, limits: HeadLimits, now: Double) -> Step {
        read(upstream, limits: limits, now: now)
    }
}
