import CSocketShims
import Glibc
import Logging
import ODBConfig
import ODBHTTP

/// One client connection: reads request heads, forwards each exchange upstream, and moves
/// bodies by the route's mode.
///
/// Exchanges run one at a time; pipelined requests wait in the client's buffer or socket
/// until the previous response is complete, so responses can never be reordered.
final class ClientSession: ChannelOwner, KernelFlowDelegate {
    let worker: Worker
    /// Its `config` routes each request, so a reload reaches open connections.
    let listener: ListenerSocket
    let client: SocketChannel
    let peer: SocketAddress
    private var exchange: Exchange?
    private var closingAfterFlush = false
    private(set) var closed = false
    private var deadline: Double
    private var headStartedAt: Double?
    /// The head being read on each side, resumed on every read so a head that arrives a
    /// byte at a time costs linear work; nil between heads.
    private var requestHeadParser: HeadParser<RequestHead>?
    private var responseHeadParser: HeadParser<ResponseHead>?
    private var lastWireProgress: UInt64 = 0
    private var driving = false
    private var driveAgain = false
    /// Exchanges begun on this connection (a protocol preface is only looked for before the
    /// first) and its age, against the caps that retire it.
    private var lifetime: ConnectionLifetime
    /// The body-rate floor applied to the exchange in progress; nil between exchanges.
    private var bodyRate: TransferRate?
    static let headReadSize = 4096

    init(worker: Worker, listener: ListenerSocket, fd: Int32, peer: SocketAddress) {
        self.worker = worker
        self.listener = listener
        self.peer = peer
        client = SocketChannel(fd: fd, loop: worker.loop)
        deadline = worker.loop.now + worker.timeouts.idle
        lifetime = ConnectionLifetime(openedAt: worker.loop.now)
        client.owner = self
        client.wantRead = true
    }

    // MARK: Events

    func channelReady(_ channel: SocketChannel, events: UInt32) {
        if let upstream = exchange?.upstream, channel === upstream, exchange?.connecting == true {
            finishConnect()
        }
        if events & UInt32(EPOLLERR.rawValue) != 0 && channel === client {
            abort("client socket error")
            return
        }
        for transfer in [exchange?.requestBody, exchange?.responseBody] {
            if let flow = transfer?.flow, flow.source === channel || flow.target === channel {
                worker.kernel?.socketReady(flow)
            }
        }
        drive()
    }

    func kernelFlowEnded(_ flow: KernelFlow, _ ending: KernelFlow.Ending) {
        guard let exchange else { return }
        for transfer in [exchange.requestBody, exchange.responseBody] where transfer?.flow === flow {
            transfer?.kernelEnded(ending, redirected: flow.redirected, forwarded: flow.forwarded)
        }
        worker.loop.later { [weak self] in self?.drive() }
    }

    // MARK: Driving

    /// Advances every state machine of this connection as far as the sockets allow.
    func drive() {
        guard !closed else { return }
        if driving {
            driveAgain = true
            return
        }
        driving = true
        defer { driving = false }
        repeat {
            driveAgain = false
            step()
        } while driveAgain && !closed
    }

    private func step() {
        var progressed = true
        while progressed && !closed {
            progressed = false
            if exchange == nil {
                // While closing, only the queued answer still has to go out.
                if !closingAfterFlush { progressed = readRequestHead() }
            } else if let current = exchange {
                progressed = pumpRequest(current) || progressed
                guard !closed else { return }
                progressed = pumpResponse(current) || progressed
                guard !closed else { return }
                if current.requestDone && current.responseDone && tunnelEndsDelivered(current) {
                    finishExchange(current)
                    progressed = true
                }
            }
            guard !closed else { return }
            // Flushing can make room that a stopped source was waiting for, so it counts as progress.
            progressed = flushBoth() || progressed
        }
        guard !closed else { return }
        if let current = exchange { halfCloseFinishedTunnels(current) }
        guard closingAfterFlush, exchange == nil else { return }
        if client.outbound.isEmpty && client.kernelBacklogDrained() {
            close()
        } else {
            client.retryWhenDrained()
        }
    }

    /// A tunnel direction whose source ended passes the end on: shutdown(SHUT_WR) once
    /// everything before it is written.
    private func halfCloseFinishedTunnels(_ current: Exchange) {
        guard current.isTunnel else { return }
        for transfer in [current.requestBody, current.responseBody] {
            guard let transfer, transfer.isFinished, !transfer.targetShutDown, transfer.target.outbound.isEmpty else { continue }
            // Redirected bytes still in the kernel backlog would meet a shut-down socket.
            guard transfer.target.kernelBacklogDrained() else {
                transfer.target.retryWhenDrained()
                continue
            }
            shutdown(transfer.target.fd, Int32(SHUT_WR))
            transfer.targetShutDown = true
        }
    }

    /// A tunnel is over once both ends were passed on, which waits for every byte before them.
    private func tunnelEndsDelivered(_ current: Exchange) -> Bool {
        guard current.isTunnel else { return true }
        halfCloseFinishedTunnels(current)
        return [current.requestBody, current.responseBody].allSatisfy { $0?.targetShutDown ?? true }
    }

    /// Writes what both sides have queued. True when any byte left.
    private func flushBoth() -> Bool {
        let before = client.userBytesWritten + (exchange?.upstream?.userBytesWritten ?? 0)
        if !client.flush() {
            abort("writing to the client failed")
            return false
        }
        if let upstream = exchange?.upstream, exchange?.connecting == false, !upstream.flush() {
            upstreamFailed("writing to the upstream failed")
            return true
        }
        return client.userBytesWritten + (exchange?.upstream?.userBytesWritten ?? 0) != before
    }

    // MARK: Request side

    private func readRequestHead() -> Bool {
        if client.inbound.isEmpty && client.readClosed {
            close()
            return false
        }
        let limits = HeadLimits(maxHeadBytes: worker.limits.maxHeadBytes, maxHeaderCount: worker.limits.maxHeaders)
        let preface = lifetime.requests == 0 ? client.inbound.withUnsafeBytes { HTTP2Preface.match($0) } : .none
        if preface == .complete {
            startOpaqueTunnel()
            return true
        }
        var parser = requestHeadParser ?? HeadParser<RequestHead>(limits: limits)
        let parsed = preface == .partial ? .needMore : client.inbound.withUnsafeBytes { parser.parse($0) }
        if case .needMore = parsed { requestHeadParser = parser } else { requestHeadParser = nil }
        switch parsed {
        case .needMore:
            if !client.inbound.isEmpty && headStartedAt == nil { headStartedAt = worker.loop.now }
            if client.readClosed {
                close()
                return false
            }
            switch client.fill(max: Self.headReadSize) {
            case .bytes:
                touch()
                return true
            case .endOfStream:
                return true
            case .failed:
                abort("reading from the client failed")
                return false
            case .wouldBlock:
                client.wantRead = true
                return false
            }
        case let .invalid(error):
            worker.stats.rejectedRequests += 1
            worker.logger.notice("rejected request", metadata: ["client": "\(peer)", "reason": "\(error)"])
            respondError(error.statusCode, reason: error.description)
            return false
        case let .complete(head, length):
            client.inbound.consume(length)
            headStartedAt = nil
            touch()
            startExchange(head)
            return true
        }
    }

    private func startExchange(_ head: RequestHead) {
        lifetime.requestStarted()
        bodyRate = worker.bodyRateFloor.map(TransferRate.init)
        responseHeadParser = nil
        worker.stats.requests += 1
        let framing: BodyFraming
        switch requestFraming(head) {
        case let .success(value): framing = value
        case let .failure(error):
            worker.stats.rejectedRequests += 1
            respondError(error.statusCode, reason: error.description)
            return
        }
        if head.target.hasDotSegment {
            worker.stats.rejectedRequests += 1
            respondError(400, reason: "dot-segments (. and ..) are not allowed in the request path")
            return
        }
        let routing = RequestRouting(head)
        guard let route = listener.config.route(host: routing.host, path: routing.path) else {
            respondError(404, reason: "no route for this host and path")
            return
        }
        guard let pool = worker.pools[route.upstream] else {
            respondError(502, reason: "upstream pool \(route.upstream) is not configured")
            return
        }
        if head.method == "CONNECT" && !route.allowConnect {
            respondError(405, reason: "CONNECT is not allowed on this route")
            return
        }
        let clientKeepAlive = keepAlive(request: head)
        let upgrade = head.headers.contains("Upgrade")
        let upstreamHead = worker.rewrite.request(
            head, clientAddress: peer.hostText, trustForwarded: listener.config.trustForwarded, forwardingUpgrade: upgrade).serialize()
        let hasBody: Bool
        switch framing {
        case .none: hasBody = false
        case let .contentLength(length): hasBody = length > 0
        default: hasBody = true
        }
        let current = Exchange(
            request: head, route: route, pool: pool, upstreamHead: upstreamHead, requestHasBody: hasBody,
            requestKeepsUpstream: head.version.minor >= 1, clientKeepAlive: clientKeepAlive, now: worker.loop.now)
        exchange = current
        client.wantRead = false
        guard connectUpstream(current) else { return }
        if hasBody {
            let bodyFraming: BodyTransfer.Framing
            switch framing {
            case let .contentLength(length): bodyFraming = .length(remaining: length)
            default: bodyFraming = .chunked(ChunkedScanner())
            }
            current.requestBody = BodyTransfer(
                source: client, target: current.upstream!, framing: bodyFraming,
                path: choosePath(mode: route.mode, route: route, framing: bodyFraming, length: framing.contentLength))
        }
    }

    /// A connection that opens with a protocol the relay does not parse (HTTP/2 with prior
    /// knowledge) becomes, where the listener's catch-all route allows it, a byte stream to
    /// that route over a fresh upstream connection (one that never carried a request), copied
    /// in user space both ways and never pooled.
    private func startOpaqueTunnel() {
        lifetime.requestStarted()
        guard let route = listener.config.route(host: nil, path: "/"), route.allowHTTP2PriorKnowledge,
              let pool = worker.pools[route.upstream] else {
            worker.stats.rejectedRequests += 1
            worker.logger.notice("rejected request", metadata: ["client": "\(peer)", "reason": "HTTP/2 prior knowledge is not allowed"])
            respondError(400, reason: "HTTP/2 with prior knowledge needs allow_http2_prior_knowledge on the catch-all route")
            return
        }
        worker.stats.fallbacksUnparsed += 1
        let current = Exchange(
            request: HTTP2Preface.head, route: route, pool: pool, upstreamHead: [], requestHasBody: true,
            requestKeepsUpstream: false, clientKeepAlive: false, now: worker.loop.now)
        exchange = current
        client.wantRead = false
        guard connectUpstream(current, fresh: true) else { return }
        becomeTunnel(current, upstream: current.upstream!, path: .copy)
    }

    /// Leases a connection for the exchange, trying the pool's servers in turn; `fresh` never
    /// takes an idle pooled one.
    private func connectUpstream(_ current: Exchange, fresh: Bool = false) -> Bool {
        while !current.candidates.isEmpty {
            let server = current.candidates.removeFirst()
            do {
                let lease = try current.pool.lease(server: server, fresh: fresh)
                worker.idleUpstreams.adopt(lease.channel)
                lease.channel.owner = self
                lease.channel.outbound.append(contentsOf: current.upstreamHead)
                current.lease = lease
                current.connecting = !lease.reused
                current.connectStarted = worker.loop.now
                lease.channel.wantWrite = current.connecting
                lease.channel.wantRead = !current.connecting
                return true
            } catch where DescriptorBudget.isLocalShortage(error.errno) {
                // The relay, not the server, ran out: no server is marked failed for it.
                worker.logger.error("no socket for an upstream connection", metadata: ["error": "\(error)"])
                respondError(503, reason: "the relay is out of resources for an upstream connection")
                return false
            } catch {
                worker.logger.warning("upstream connect failed", metadata: ["server": "\(current.pool.serverName(server))", "error": "\(error)"])
                current.pool.markFailed(server: server)
                worker.stats.upstreamErrors += 1
            }
        }
        respondError(502, reason: "no upstream server of \(current.route.upstream) accepted the connection")
        return false
    }

    private func finishConnect() {
        guard let current = exchange, let lease = current.lease else { return }
        let error = Socket.pendingError(lease.channel.fd)
        if error != 0 {
            worker.logger.warning("upstream connect failed", metadata: [
                "server": "\(current.pool.serverName(lease.server))", "error": "\(SystemError("connect", errno: error))",
            ])
            current.pool.markFailed(server: lease.server)
            worker.stats.upstreamErrors += 1
            retryUpstream(current)
            return
        }
        current.pool.markHealthy(server: lease.server)
        current.connecting = false
        lease.channel.wantWrite = false
        lease.channel.wantRead = true
    }

    /// Moves the exchange to another connection; only while nothing of its body has been sent.
    private func retryUpstream(_ current: Exchange) {
        guard let failed = current.lease?.channel else { return }
        worker.closeChannel(failed)
        current.lease = nil
        responseHeadParser = nil
        guard !current.requestBodyStarted, !current.responseStarted else {
            upstreamFailed("the upstream connection failed")
            return
        }
        if connectUpstream(current), let body = current.requestBody, let upstream = current.upstream {
            current.requestBody = BodyTransfer(source: body.source, target: upstream, framing: body.framing, path: body.path)
        }
    }

    private func choosePath(mode: RelayMode, route: RouteConfig, framing: BodyTransfer.Framing, length: UInt64?) -> BodyTransfer.Path {
        switch mode {
        case .copy:
            return .copy
        case .splice:
            if case .chunked = framing { return .copy }
            return .splice
        case .kernel:
            if let length, length < UInt64(route.kernelMinBody) {
                worker.stats.fallbacksSmallBody += 1
                return .copy
            }
            guard worker.kernel != nil else {
                if worker.kernelSelfTestFailed { worker.stats.fallbacksKernelSelfTest += 1 }
                if case .chunked = framing { return .copy }
                return .splice
            }
            return .kernel
        case .auto:
            // A body of unknown length (chunked, until close, a tunnel) is copied too: the relay
            // cannot tell a large one in advance, and large ones measured several times slower
            // in the kernel (docs/CHUNKED.md: one 64 MiB chunked stream, 75 against 398 MB/s).
            guard let length, length <= UInt64(route.kernelMaxBody) else { return .copy }
            return choosePath(mode: .kernel, route: route, framing: framing, length: length)
        }
    }

    private func pumpRequest(_ current: Exchange) -> Bool {
        guard !current.requestDone, !current.connecting, let body = current.requestBody else { return false }
        let progressed = pump(body)
        if body.bytesByPath.values.reduce(0, +) > 0 { current.requestBodyStarted = true }
        switch body.outcome {
        case .progressing:
            return progressed
        case .finished:
            current.requestDone = true
            account(body)
            return true
        case .truncated:
            abort("the client closed during the request body")
            return false
        case let .failed(reason):
            if case .chunked = body.framing, reason.hasPrefix("chunked") {
                respondError(400, reason: reason)
            } else {
                abort(reason)
            }
            return false
        }
    }

    // MARK: Response side

    private func pumpResponse(_ current: Exchange) -> Bool {
        guard !current.connecting, let upstream = current.upstream, !current.responseDone else { return false }
        if let body = current.responseBody {
            let progressed = pump(body)
            switch body.outcome {
            case .progressing:
                return progressed
            case .finished:
                current.responseDone = true
                account(body)
                if case .untilClose = body.framing {
                    current.upstreamReusable = false
                    closingAfterFlush = true
                }
                return true
            case .truncated, .failed:
                worker.stats.upstreamErrors += 1
                abort("upstream response body ended early: \(body.outcome)")
                return false
            }
        }
        let limits = HeadLimits(maxHeadBytes: worker.limits.maxHeadBytes, maxHeaderCount: worker.limits.maxHeaders)
        var parser = responseHeadParser ?? HeadParser<ResponseHead>(limits: limits)
        let parsed = upstream.inbound.withUnsafeBytes { parser.parse($0) }
        if case .needMore = parsed { responseHeadParser = parser } else { responseHeadParser = nil }
        switch parsed {
        case .needMore:
            if upstream.readClosed {
                upstreamClosedBeforeResponse(current)
                return false
            }
            // Small reads while waiting for a head: body bytes read here are copied, while the
            // verdict takes everything after them (trimming a partly read skb).
            switch upstream.fill(max: Self.headReadSize) {
            case .bytes:
                touch()
            case .failed:
                upstream.readClosed = true
            case .endOfStream:
                break
            case .wouldBlock:
                upstream.wantRead = true
                return false
            }
            return true
        case let .invalid(error):
            worker.stats.upstreamErrors += 1
            upstreamFailed("invalid response head: \(error)")
            return false
        case let .complete(head, length):
            upstream.inbound.consume(length)
            return startResponse(current, head)
        }
    }

    private func startResponse(_ current: Exchange, _ head: ResponseHead) -> Bool {
        if head.status >= 100 && head.status < 200 && head.status != 101 {
            // Interim responses (100 Continue, 103 Early Hints) pass through; the final one follows.
            client.outbound.append(contentsOf: worker.rewrite.response(head).serialize())
            current.responseStarted = true
            return true
        }
        let framing: BodyFraming
        switch responseFraming(head, requestMethod: current.request.method) {
        case let .success(value): framing = value
        case let .failure(error):
            worker.stats.upstreamErrors += 1
            upstreamFailed("ambiguous response framing: \(error)")
            return false
        }
        current.response = head
        current.status = head.status
        worker.stats.recordStatus(head.status)
        let upstream = current.upstream!
        if framing == .tunnel {
            startTunnel(current, head, upstream: upstream)
            return true
        }
        var outgoing = worker.rewrite.response(head)
        var keepClient = current.clientKeepAlive && !closingAfterFlush
        if keepClient, let limit = lifetime.retiringLimit(
            now: worker.loop.now, maxRequests: worker.limits.maxRequestsPerConnection, maxAge: worker.timeouts.maxConnectionAge) {
            keepClient = false
            worker.connectionEnded(by: limit, client: peer)
        }
        current.upstreamReusable = current.requestKeepsUpstream && keepAlive(response: head)
        let bodyFraming: BodyTransfer.Framing?
        switch framing {
        case .none:
            bodyFraming = nil
        case let .contentLength(length):
            bodyFraming = length > 0 ? .length(remaining: length) : nil
        case .chunked:
            bodyFraming = .chunked(ChunkedScanner())
        case .untilClose, .tunnel:
            bodyFraming = .untilClose
            keepClient = false
            current.upstreamReusable = false
            worker.stats.fallbacksUnsupported += 1
        }
        if !keepClient {
            outgoing.headers.replaceAll(with: HTTPField(name: "Connection", value: "close"))
            closingAfterFlush = true
        }
        client.outbound.append(contentsOf: outgoing.serialize())
        current.responseStarted = true
        if let bodyFraming {
            current.responseBody = BodyTransfer(
                source: upstream, target: client, framing: bodyFraming,
                path: choosePath(mode: current.route.mode, route: current.route, framing: bodyFraming, length: framing.contentLength))
        } else {
            current.responseDone = true
        }
        if !current.requestDone, let flow = current.requestBody?.flow {
            // The verdict may have moved the request's last bytes before its event arrived.
            worker.kernel?.refresh(flow)
            _ = pumpRequest(current)
        }
        if !current.requestDone {
            // The upstream answered before reading the whole request; its connection cannot be
            // reused, and the client's remaining body has nowhere defined to go.
            current.upstreamReusable = false
            closingAfterFlush = true
        }
        return true
    }

    /// After 101 Switching Protocols or a 2xx to CONNECT the connection is a byte stream both
    /// ways: in `kernel` mode each direction is an unbounded window redirected by the verdict
    /// until its source ends, then half-closed.
    private func startTunnel(_ current: Exchange, _ head: ResponseHead, upstream: SocketChannel) {
        let outgoing = worker.rewrite.response(head, forwardingUpgrade: head.status == 101)
        client.outbound.append(contentsOf: outgoing.serialize())
        becomeTunnel(current, upstream: upstream,
                     path: choosePath(mode: current.route.mode, route: current.route, framing: .untilClose, length: nil))
        current.requestDone = false
    }

    /// Both directions become bodies read until their source closes; the upstream connection
    /// is never pooled again.
    private func becomeTunnel(_ current: Exchange, upstream: SocketChannel, path: BodyTransfer.Path) {
        current.isTunnel = true
        current.responseStarted = true
        current.upstreamReusable = false
        closingAfterFlush = true
        current.responseBody = BodyTransfer(source: upstream, target: client, framing: .untilClose, path: path)
        current.requestBody = BodyTransfer(source: client, target: upstream, framing: .untilClose, path: path)
    }

    private func upstreamClosedBeforeResponse(_ current: Exchange) {
        if let lease = current.lease, lease.reused, !current.requestBodyStarted, !current.responseStarted {
            // A pooled connection the server had already closed: try a fresh one.
            current.candidates.insert(lease.server, at: 0)
            retryUpstream(current)
            return
        }
        worker.stats.upstreamErrors += 1
        upstreamFailed("the upstream closed the connection before responding")
    }

    // MARK: Bodies

    /// Moves one body along its path; starts the kernel flow once user-space bytes are out.
    private func pump(_ body: BodyTransfer) -> Bool {
        let progressed = body.forwardBuffered()
        guard !body.isFinished else { return true }
        switch body.path {
        case .copy:
            return body.pumpCopy() || progressed
        case .splice:
            // A socket in the verdict map delivers through its psock queue, which splice(2)
            // does not read.
            if body.source.inSourceMap {
                body.path = .copy
                return true
            }
            guard body.target.outbound.isEmpty else {
                body.source.wantRead = false
                return progressed
            }
            if body.pipe == nil {
                do { body.pipe = try SplicePipe() } catch { body.path = .copy }
            }
            return body.pumpSplice() || progressed
        case .kernel:
            if body.flow != nil { return progressed }
            return startKernelFlow(body) || progressed
        }
    }

    /// Hands the rest of a body (a chunk's data, a tunnel direction) to the verdict once user
    /// space holds none of its bytes and the target holds no user-space bytes.
    ///
    /// Bytes user space already read stay out of the window: the verdict trims the part of a
    /// partly read skb that lies before the socket's copied_seq. A chunked body takes a window
    /// at a chunk of at least the route's threshold; the verdict walks plain chunk-size lines
    /// from there, and what it hands back (and smaller chunks) the relay copies and parses.
    private func startKernelFlow(_ body: BodyTransfer) -> Bool {
        guard let kernel = worker.kernel, let route = exchange?.route else {
            body.path = .copy
            return true
        }
        let length: UInt64?
        switch body.framing {
        case let .length(remaining):
            length = remaining
        case let .chunked(scanner):
            let threshold = UInt64(route.kernelMinBody)
            func windowable(_ scanner: ChunkedScanner) -> Bool {
                scanner.dataRemainingInChunk >= threshold && body.source.inbound.isEmpty
            }
            guard windowable(scanner) else {
                return body.pumpCopy {
                    if case let .chunked(current) = body.framing { return windowable(current) }
                    return true
                }
            }
            length = scanner.dataRemainingInChunk
        case .untilClose:
            length = nil
        }
        guard body.target.flush() else {
            body.fail(.failed("writing failed"))
            return true
        }
        guard body.target.outbound.isEmpty else {
            body.source.wantRead = false
            return false
        }
        guard body.source.inbound.isEmpty, length != 0 else {
            body.path = .copy
            return true
        }
        do {
            var lookahead: ((UnsafeRawBufferPointer) -> UInt64?)?
            if case let .chunked(scanner) = body.framing {
                lookahead = { waiting in Self.chunkedWindowLength(scanner, waiting: waiting, minimum: UInt64(route.kernelMinBody)) }
            }
            body.flow = try kernel.start(
                source: body.source, target: body.target, length: length, chunked: lookahead != nil,
                budget: UInt64(route.flowBudget), lookahead: lookahead, delegate: self)
            body.source.wantRead = true
        } catch .bufferMemoryCap {
            worker.bufferMemoryCapReached()
            body.path = .copy
        } catch .lookaheadRefused {
            // What waits ends in framing: copy one read's worth and look again.
            var reads = 0
            return body.pumpCopy {
                defer { reads += 1 }
                return reads > 0
            }
        } catch {
            worker.stats.fallbacksUnsupported += 1
            worker.logger.debug("kernel path unavailable, copying", metadata: ["reason": "\(error)"])
            body.path = .copy
        }
        return true
    }

    /// How long a chunked window must be to cover `waiting` (bytes queued on the source) and end
    /// where a chunk's data ends; nil when `waiting` ends in framing, holds the body's end or an
    /// error, or the window would be short. Parsed by a copy of the body's scanner: the real one
    /// moves on only when the window is over.
    static func chunkedWindowLength(_ scanner: ChunkedScanner, waiting: UnsafeRawBufferPointer, minimum: UInt64) -> UInt64? {
        var ahead = scanner
        guard case let .needMore(dataRemainingInChunk: rest) = ahead.scan(waiting), rest > 0 else { return nil }
        let length = UInt64(waiting.count) + rest
        return length >= minimum ? length : nil
    }

    /// Adds a body's bytes to the counters, once, whether or not it completed.
    private func account(_ body: BodyTransfer) {
        guard !body.accounted else { return }
        body.accounted = true
        if let flow = body.flow {
            body.record(Int(flow.redirected), .kernel)
            body.record(Int(flow.forwarded), .copy)
        }
        worker.stats.bodyBytesKernel += body.bytesByPath[.kernel] ?? 0
        worker.stats.bodyBytesSplice += body.bytesByPath[.splice] ?? 0
        worker.stats.bodyBytesCopy += body.bytesByPath[.copy] ?? 0
        if body.target === client { exchange?.bytesToClient += body.bytesByPath.values.reduce(0, +) }
    }

    // MARK: Ending

    private func finishExchange(_ current: Exchange) {
        exchange = nil
        bodyRate = nil
        if let upstream = current.upstream {
            var reusable = current.upstreamReusable && !upstream.readClosed
            if upstream.inSourceMap {
                // The response is complete and no request is outstanding, so the upstream is
                // silent: reading to EAGAIN first makes removing it from the verdict map safe.
                if upstream.fill() != .wouldBlock || !upstream.inbound.isEmpty { reusable = false }
                worker.kernel?.removeSource(upstream)
            }
            if reusable, let lease = current.lease {
                upstream.owner = nil
                current.pool.release(upstream, server: lease.server, idleWatcher: worker.idleUpstreams)
            } else {
                worker.closeChannel(upstream)
            }
        }
        worker.exchangeFinished(current, client: peer, bodyPath: current.responseBody.map { mainPath($0) } ?? "none")
        if !current.clientKeepAlive { closingAfterFlush = true }
        touch()
    }

    private func mainPath(_ body: BodyTransfer) -> String {
        let largest = body.bytesByPath.max { $0.value < $1.value }?.key
        switch largest {
        case .kernel: return "kernel"
        case .splice: return "splice"
        case .copy: return "copy"
        case nil: return "none"
        }
    }

    /// Answers with an error page when no response has started, otherwise closes.
    private func respondError(_ status: Int, reason: String) {
        if let current = exchange, current.responseStarted {
            abort(reason)
            return
        }
        let page = ErrorPage.render(status: status, detail: reason)
        worker.errorAnswered(client: peer, exchange: exchange, status: status, bytes: page.count, reason: reason)
        if let upstream = exchange?.upstream { worker.closeChannel(upstream) }
        exchange = nil
        worker.stats.recordStatus(status)
        client.outbound.append(contentsOf: page)
        closingAfterFlush = true
        client.wantRead = false
    }

    private func upstreamFailed(_ reason: String) {
        worker.logger.warning("upstream failure", metadata: ["client": "\(peer)", "reason": "\(reason)"])
        respondError(502, reason: reason)
    }

    /// Closes both sides at once: the client sees a closed connection, never a response that
    /// looks complete but is not.
    func abort(_ reason: String) {
        worker.logger.info("connection aborted", metadata: ["client": "\(peer)", "reason": "\(reason)"])
        for body in [exchange?.requestBody, exchange?.responseBody].compactMap({ $0 }) { account(body) }
        if let upstream = exchange?.upstream { worker.closeChannel(upstream) }
        exchange = nil
        close()
    }

    /// Shutdown: reads no further request, and closes once the exchange in progress (if any)
    /// is complete and flushed; a response not yet started goes out with Connection: close.
    func closeWhenDone() {
        closingAfterFlush = true
        drive()
    }

    func close() {
        guard !closed else { return }
        closed = true
        if let upstream = exchange?.upstream { worker.closeChannel(upstream) }
        exchange = nil
        worker.closeChannel(client)
        worker.sessionClosed(self)
    }

    /// Bytes the client and the upstream acknowledged or sent: whichever path moves a body
    /// (the kernel, splice, copy, a tunnel), this grows while it moves.
    private var wireProgress: UInt64 {
        [client, exchange?.upstream].reduce(0) { total, channel in
            var progress = odb_tcp_progress()
            guard let channel, odb_tcp_progress(channel.fd, &progress) == 0 else { return total }
            return total + progress.bytes_acked + progress.bytes_received
        }
    }

    /// Ends the exchange when a body moved slower than `timeouts.min_body_rate` while the relay
    /// waited on the client: 408 while no answer has begun, otherwise an abort. True when it ended.
    private func checkBodyRate(_ current: Exchange, now: Double) -> Bool {
        guard var rate = bodyRate, !current.isTunnel else { return false }
        let tooSlow = rate.tooSlow(now: now, ClientPace(current, client: client))
        bodyRate = rate
        guard tooSlow else { return false }
        worker.connectionEnded(by: .minBodyRate, client: peer)
        let reason = "a body moved slower than timeouts.min_body_rate (\(Int(rate.floor.bytesPerSecond)) bytes/s)"
        if current.responseStarted {
            abort(reason)
        } else {
            respondError(408, reason: reason)
            drive()
        }
        return true
    }

    private func touch() {
        deadline = worker.loop.now + worker.timeouts.idle
    }

    /// Applies idle, head-read and connect timeouts; kernel flows that still move count as activity.
    func checkTimeouts(now: Double) {
        guard !closed else { return }
        if let started = headStartedAt, exchange == nil, now - started > worker.timeouts.headRead {
            worker.stats.rejectedRequests += 1
            worker.logger.notice("request head timed out", metadata: ["client": "\(peer)"])
            respondError(408, reason: "the request head did not arrive in time")
            drive()
            return
        }
        if let current = exchange, current.connecting, now - current.connectStarted > worker.timeouts.connect {
            if let lease = current.lease { current.pool.markFailed(server: lease.server) }
            retryUpstream(current)
            drive()
            return
        }
        if exchange == nil, headStartedAt == nil, !closingAfterFlush,
           lifetime.isPastAge(now: now, maxAge: worker.timeouts.maxConnectionAge) {
            worker.connectionEnded(by: .maxAge, client: peer)
            close()
            return
        }
        for flow in [exchange?.requestBody?.flow, exchange?.responseBody?.flow].compactMap({ $0 }) {
            worker.kernel?.refresh(flow)
        }
        if let current = exchange, checkBodyRate(current, now: now) { return }
        // Bytes that moved since the last check are activity: the idle timeout is for
        // stalls, not for long transfers to slow readers.
        if exchange != nil {
            let progress = wireProgress
            if progress != lastWireProgress { touch() }
            lastWireProgress = progress
        }
        guard now > deadline else { return }
        if let current = exchange {
            if current.responseStarted {
                abort("no progress within the idle timeout")
            } else {
                worker.stats.upstreamErrors += 1
                respondError(504, reason: "the upstream did not respond in time")
                drive()
            }
        } else {
            close()
        }
    }
}

