import ODBHTTP

/// The steps of one exchange, from its request head to its response's end.
extension ClientSession {
    // MARK: Request side

    func readRequestHead() -> Bool {
        if listener.service == .claims && !readyForNextClaim() { return false }
        let opening = requestHeadReader.next(
            from: client, firstOnConnection: lifetime.requests == 0, limits: worker.headLimits, now: worker.loop.now)
        guard case let .http1(step) = consume opening else {
            startOpaqueTunnel()
            return true
        }
        // Consumed, so the head that starts an exchange is its storage's only owner and is
        // rewritten in place.
        switch consume step {
        case .received:
            touch()
            return true
        case .endOfStream:
            return true
        case .closedWithoutHead:
            close()
            return false
        case .readFailed:
            abort("reading from the client failed")
            return false
        case .waiting:
            return false
        case let .invalid(error):
            worker.stats.rejectedRequests += 1
            worker.logger.notice("rejected request", metadata: ["client": "\(clientAddress)", "reason": "\(error)"])
            respondError(error.statusCode, reason: error.description)
            return false
        case let .head(head):
            touch()
            if listener.service == .claims { startClaim(head) } else { startExchange(consume head) }
            return true
        }
    }

    private func startExchange(_ head: consuming RequestHead) {
        lifetime.requestStarted()
        timeouts.exchangeStarted(floor: worker.bodyRateFloor)
        worker.stats.requests += 1
        // The head itself goes to the admission, which rewrites it in place for the upstream.
        let request = RequestLine(head)
        let admitted: RequestAdmission
        do {
            admitted = try RequestAdmission(
                consume head, listener: listener.config, pools: worker.pools, rewrite: worker.rewrite, odb: worker.odb,
                clientAddress: clientHostText)
        } catch {
            if error.malformed { worker.stats.rejectedRequests += 1 }
            respondError(error.status, reason: error.reason)
            return
        }
        if admitted.forgedFields { worker.stats.odbForged += 1 }
        let current = Exchange(
            request: request, route: admitted.route, pool: admitted.pool, upstreamRequest: .head(admitted.upstreamHead), fromPeer: admitted.fromPeer,
            requestKeepsUpstream: request.version.minor >= 1, clientKeepAlive: admitted.clientKeepAlive, now: worker.loop.now)
        exchange = current
        client.wantRead = false
        do { try connector.connect(current) } catch {
            upstreamUnavailable(error)
            return
        }
        if let body = admitted.body, let upstream = current.upstream {
            current.requestBody = bodyTransfer(current, from: client, to: upstream, body: body)
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
            worker.logger.notice("rejected request", metadata: ["client": "\(clientAddress)", "reason": "HTTP/2 prior knowledge is not allowed"])
            respondError(400, reason: "HTTP/2 with prior knowledge needs allow_http2_prior_knowledge on the catch-all route")
            return
        }
        worker.countFallback(.unparsed)
        let current = Exchange(
            request: RequestLine(HTTP2Preface.head), route: route, pool: pool, upstreamRequest: .nothing, opensAsTunnel: true,
            requestKeepsUpstream: false, clientKeepAlive: false, now: worker.loop.now)
        exchange = current
        client.wantRead = false
        do { try connector.connect(current, fresh: true) } catch {
            upstreamUnavailable(error)
            return
        }
        becomeTunnel(current, upstream: current.upstream!, path: .copy)
    }

    func pumpRequest(_ current: Exchange) -> Bool {
        // A body is pumped until it is accounted: it may finish outside a pump (a kernel window's end).
        guard !current.connecting, let body = current.requestBody, !body.accounted else { return false }
        let progressed = body.pump()
        switch body.outcome {
        case .progressing:
            return progressed
        case .finished:
            account(body)
            return true
        case .truncated:
            abort("the client closed during the request body")
            return false
        case let .failed(failure):
            if case .invalidChunked = failure {
                respondError(400, reason: failure.description)
            } else {
                abort(failure.description)
            }
            return false
        }
    }

    // MARK: Response side

    func pumpResponse(_ current: Exchange) -> Bool {
        guard !current.connecting, let upstream = current.upstream else { return false }
        if let body = current.responseBody {
            guard !body.accounted else { return false }
            let progressed = body.pump()
            switch body.outcome {
            case .progressing:
                return progressed
            case .finished:
                if current.phase == .streaming { current.transition(to: .responded) }
                account(body)
                if case .untilClose = body.framing {
                    current.upstreamReusable = false
                    drainThenClose()
                }
                return true
            case let .failed(failure) where failure.isTargetSide:
                abort("the client side failed during the response body: \(failure)")
                return false
            case .truncated, .failed:
                worker.stats.upstreamErrors += 1
                abort("upstream response body ended early: \(body.outcome)")
                return false
            }
        }
        guard current.phase == .awaitingResponse || current.phase == .interim || current.phase == .claiming else { return false }
        switch current.responseHeadReader.next(from: upstream, limits: worker.headLimits, now: worker.loop.now) {
        case .closedWithoutHead:
            do { try connector.closedBeforeResponse(current) } catch { upstreamUnavailable(error) }
            return false
        case .received:
            touch()
            return true
        case .endOfStream:
            return true
        case .readFailed:
            upstream.readClosed = true
            return true
        case .waiting:
            return false
        case let .invalid(error):
            worker.stats.upstreamErrors += 1
            upstreamFailed("invalid response head: \(error)")
            return false
        case let .head(head):
            guard startResponse(current, consume head) else { return false }
            // Body bytes read along with the head join it in the client's queue before the
            // next flush, so a small response leaves in one send.
            if current.responseBody != nil { _ = pumpResponse(current) }
            return true
        }
    }

    private func startResponse(_ current: Exchange, _ head: consuming ResponseHead) -> Bool {
        if current.phase == .claiming { return claimAnswered(current, head) }
        // Only a peer asked as one may answer with a descriptor; from anyone else it is forged.
        let askedPeer = current.route.odb.sendsToPeer && current.pool.config.odbPeer
        if !askedPeer, VirtualPayload.strip(&head.headers) {
            worker.stats.odbForged += 1
        }
        if askedPeer, head.headers.contains(VirtualPayload.payloadHeader) { return receiveDescriptor(current, head) }
        if head.status >= 100 && head.status < 200 && head.status != 101 {
            // Interim responses (100 Continue, 103 Early Hints) pass through; the final one follows.
            client.outbound.append(worker.rewrite.response(head))
            current.transition(to: .interim)
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
        let upstreamKeepsAlive = current.requestKeepsUpstream && keepAlive(response: head)
        return forwardResponse(current, consume head, framing: framing, upstreamKeepsAlive: upstreamKeepsAlive)
    }

    /// Sends `head` to the client and starts moving its body, framed by `framing`, from the
    /// exchange's upstream connection; `upstreamKeepsAlive` says whether that connection may
    /// serve another request afterwards.
    func forwardResponse(_ current: Exchange, _ head: consuming ResponseHead, framing: BodyFraming, upstreamKeepsAlive: Bool) -> Bool {
        current.status = head.status
        worker.stats.recordStatus(head.status)
        let upstream = current.upstream!
        if framing == .tunnel {
            startTunnel(current, head, upstream: upstream)
            return true
        }
        var outgoing = worker.rewrite.response(consume head)
        var keepClient = clientStaysOpen(wanted: current.clientKeepAlive)
        current.upstreamReusable = upstreamKeepsAlive
        let payload = PayloadFraming(framing)
        if current.route.odb == .holder, current.fromPeer, let payload,
           holdBody(current, outgoing: outgoing, framing: payload, keepClient: keepClient) {
            return true
        }
        if payload == .close {
            keepClient = false
            current.upstreamReusable = false
        }
        if !keepClient {
            outgoing.headers.replaceAll(with: HTTPField(name: "Connection", value: "close"))
            drainThenClose()
        }
        client.outbound.append(outgoing)
        current.response = outgoing
        if let payload {
            current.transition(to: .streaming)
            current.responseBody = bodyTransfer(current, from: upstream, to: client, body: payload)
        } else {
            current.transition(to: .responded)
        }
        settleRequestBody(current)
        if !current.requestDone {
            // The upstream answered before reading the whole request; its connection cannot be
            // reused, and the client's remaining body has nowhere defined to go.
            current.upstreamReusable = false
            drainThenClose()
        }
        return true
    }

    /// Whether the client connection stays open after the answer now starting, when its request
    /// `wanted` that; a cap that retires it is counted here.
    func clientStaysOpen(wanted: Bool) -> Bool {
        guard wanted && state == .open else { return false }
        if let limit = lifetime.retiringLimit(
            now: worker.loop.now, maxRequests: worker.limits.maxRequestsPerConnection, maxAge: worker.timeouts.maxConnectionAge) {
            worker.connectionEnded(by: limit, client: clientAddress)
            return false
        }
        return true
    }

    /// A response arrived while the request body was still moving: the verdict may have moved
    /// the request's last bytes before its event arrived.
    func settleRequestBody(_ current: Exchange) {
        guard !current.requestDone, let window = current.requestBody?.window else { return }
        worker.kernel?.refresh(window)
        _ = pumpRequest(current)
    }

    /// After 101 Switching Protocols or a 2xx to CONNECT the connection is a byte stream both
    /// ways: in `kernel` mode each direction is an unbounded window redirected by the verdict
    /// until its source ends, then half-closed.
    private func startTunnel(_ current: Exchange, _ head: ResponseHead, upstream: SocketChannel) {
        let outgoing = worker.rewrite.response(head, forwardingUpgrade: head.status == 101)
        client.outbound.append(outgoing)
        current.transition(to: .tunnel)
        becomeTunnel(current, upstream: upstream, path: decidePath(current, .tunnel, to: client))
    }

    /// Both directions become bodies read until their source closes; the upstream connection
    /// is never pooled again.
    private func becomeTunnel(_ current: Exchange, upstream: SocketChannel, path: BodyTransfer.Path) {
        current.upstreamReusable = false
        drainThenClose()
        current.responseBody = bodyTransfer(current, from: upstream, to: client, framing: .untilClose, path: path)
        current.requestBody = bodyTransfer(current, from: client, to: upstream, framing: .untilClose, path: path)
    }

    // MARK: Bodies

    /// The path a body of `exchange` into `target` starts on by its route's policy; the
    /// fallback that choice implies is counted here, once per decision. What goes to a client
    /// that is a peer relay (a claim, or the answer to a peer's request) is read by that relay,
    /// not by an endpoint.
    func decidePath(_ exchange: Exchange, _ body: PathPolicy.Body, to target: SocketChannel) -> BodyTransfer.Path {
        let policy = PathPolicy(route: exchange.route, kernelAvailable: worker.kernel != nil,
                                kernelSelfTestFailed: worker.kernelSelfTestFailed)
        let peerRelayReads = target === client && exchange.fromPeer
        let decision = policy.decide(body, localEndpointReceives: !peerRelayReads && target.peerIsOnThisHost)
        if let reason = decision.fallback { worker.countFallback(reason) }
        return decision.path
    }

    /// A body of `exchange` whose movers use the route's kernel thresholds and count fallbacks
    /// in this worker. A response's source, an upstream, leaves the verdict map when the
    /// response is over (`releaseUpstream`); a client stays in it between its requests.
    func bodyTransfer(_ exchange: Exchange, from source: SocketChannel, to target: SocketChannel,
                              framing: BodyTransfer.Framing, path: BodyTransfer.Path) -> BodyTransfer {
        let route = exchange.route
        let kernel = path == .kernel ? worker.kernel.map {
            BodyMovers.KernelWindows(path: $0, minimumChunk: UInt64(route.kernelMinBody), budget: UInt64(route.flowBudget),
                                     sourceJoinsPerBody: source !== client, delegate: self)
        } : nil
        let movers = BodyMovers(kernel: kernel, isVerdictSource: worker.verdictSourceCheck, splicePipes: worker.splicePipes,
                                count: worker.fallbackCounter)
        return BodyTransfer(source: source, target: target, framing: framing, path: path, movers: movers)
    }

    /// A body of `exchange` framed by `body`, on the path its route's policy picks for it.
    func bodyTransfer(_ exchange: Exchange, from source: SocketChannel, to target: SocketChannel, body: PayloadFraming) -> BodyTransfer {
        bodyTransfer(exchange, from: source, to: target, framing: body.transferFraming, path: decidePath(exchange, body.policyBody, to: target))
    }

    /// Adds a body's bytes to the counters, once, whether or not it completed.
    func account(_ body: BodyTransfer) {
        guard !body.accounted else { return }
        body.accounted = true
        if let window = body.window {
            body.record(Int(window.redirected), .kernel)
            body.record(Int(window.forwarded), .copy)
        }
        worker.stats.bodyBytesKernel += body.bytesByPath[.kernel] ?? 0
        worker.stats.bodyBytesSplice += body.bytesByPath[.splice] ?? 0
        worker.stats.bodyBytesCopy += body.bytesByPath[.copy] ?? 0
        if body.target === client { exchange?.bytesToClient += body.bytesMoved }
    }
}
