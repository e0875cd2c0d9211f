import CSocketShims
import Glibc
import Logging
import ODBConfig
import ODBHTTP

/// One client connection: the adapter between its sockets' events and the types that move an
/// exchange on (`HeadReader`, `RequestAdmission`, `UpstreamConnector`, `BodyTransfer` and its
/// movers, `SessionTimeouts`).
///
/// Exchanges run one at a time; pipelined requests wait in the client's buffer or socket
/// until the previous response is complete, so responses can never be reordered.
final class ClientSession: ChannelOwner, KernelWindowDelegate {
    enum State: Equatable {
        case open
        /// The answer now queued is the connection's last: no further request is read, and
        /// the connection closes once it is written.
        case draining
        /// The last answer is written; see `LingeringClose`.
        case lingering(LingeringClose)
        case closed
    }

    /// `drive()` may be called again from inside itself (a flush, a closed socket); the inner
    /// call asks the running one for another pass instead of nesting.
    private enum Driving { case idle, running, runAgain }

    let worker: Worker
    /// Its `config` routes each request, so a reload reaches open connections.
    let listener: ListenerSocket
    let client: SocketChannel
    let clientAddress: SocketAddress
    /// The client's address as X-Forwarded-For names it: formatted once per connection, not
    /// per request (inet_ntop formats through printf).
    private(set) lazy var clientHostText = clientAddress.hostText
    private(set) var state = State.open
    private var driving = Driving.idle
    var exchange: Exchange? {
        // A claim ends with its exchange, however that ends.
        didSet { if let oldValue, oldValue !== exchange { claimEnded(oldValue) } }
    }
    var requestHeadReader = HeadReader<RequestHead>()
    var timeouts: SessionTimeouts
    /// Exchanges begun on this connection (a protocol preface is only looked for before the
    /// first) and its age, against the caps that retire it.
    var lifetime: ConnectionLifetime
    var connector: UpstreamConnector { UpstreamConnector(worker: worker, owner: self) }

    init(worker: Worker, listener: ListenerSocket, fd: Int32, clientAddress: SocketAddress) {
        self.worker = worker
        self.listener = listener
        self.clientAddress = clientAddress
        client = SocketChannel(fd: fd, loop: worker.loop, peer: clientAddress)
        timeouts = SessionTimeouts(now: worker.loop.now, limits: worker.timeouts)
        lifetime = ConnectionLifetime(openedAt: worker.loop.now)
        client.owner = self
        client.wantRead = true
    }

    var closed: Bool { state == .closed }

    // MARK: Events

    func channelReady(_ channel: SocketChannel, events: UInt32) {
        if let current = exchange, channel === current.upstream, current.connecting {
            do { try connector.finishConnect(current) } catch { upstreamUnavailable(error) }
        }
        if events & UInt32(EPOLLERR.rawValue) != 0 && channel === client {
            abort("client socket error")
            return
        }
        // Body by body: an array of the two would cost a heap allocation per event.
        passReadiness(of: channel, to: exchange?.requestBody)
        passReadiness(of: channel, to: exchange?.responseBody)
        drive()
    }

    /// The kernel path learns of readiness on either socket of a body's open window.
    private func passReadiness(of channel: SocketChannel, to transfer: BodyTransfer?) {
        guard let window = transfer?.window, window.source === channel || window.target === channel else { return }
        worker.kernel?.socketReady(window)
    }

    func kernelWindowEnded(_ window: KernelWindow, _ ending: KernelWindow.Ending) {
        guard let exchange else { return }
        // Body by body, as in `passReadiness`: an array of the two is a heap allocation.
        passEnding(ending, of: window, to: exchange.requestBody)
        passEnding(ending, of: window, to: exchange.responseBody)
        worker.loop.later { self.drive() }
    }

    private func passEnding(_ ending: KernelWindow.Ending, of window: KernelWindow, to transfer: BodyTransfer?) {
        guard let transfer, transfer.window === window else { return }
        transfer.kernelEnded(ending, redirected: window.redirected, forwarded: window.forwarded)
    }

    // MARK: Driving

    /// Advances every state machine of this connection as far as the sockets allow.
    func drive() {
        guard !closed else { return }
        guard driving == .idle else {
            driving = .runAgain
            return
        }
        repeat {
            driving = .running
            step()
        } while driving == .runAgain && !closed
        driving = .idle
    }

    private func step() {
        var progressed = true
        while progressed && !closed {
            progressed = false
            if let current = exchange {
                progressed = pumpRequest(current) || progressed
                guard !closed else { return }
                progressed = pumpResponse(current) || progressed
                guard !closed else { return }
                if current.requestDone && current.responseDone && current.tunnelEndsDelivered() {
                    finishExchange(current)
                    progressed = true
                }
            } else if state == .open {
                // While draining, only the queued answer still has to go out.
                progressed = readRequestHead()
            }
            guard !closed else { return }
            // Flushing can make room that a stopped source was waiting for, so it counts as progress.
            progressed = flushBoth() || progressed
        }
        guard !closed else { return }
        exchange?.halfCloseFinishedTunnel()
        if state == .draining, exchange == nil {
            guard client.outbound.isEmpty && client.backlogDrained() else {
                client.retryWhenDrained()
                return
            }
            // A client that already ended its side has nothing left unread to reset the connection.
            guard !client.readClosed else {
                close()
                return
            }
            shutdown(client.fd, Int32(SHUT_WR))
            state = .lingering(LingeringClose(now: worker.loop.now))
        }
        guard case var .lingering(linger) = state else { return }
        let done = linger.discard(from: client)
        state = .lingering(linger)
        if done { close() }
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

    // MARK: Ending

    private func finishExchange(_ current: Exchange) {
        exchange = nil
        timeouts.exchangeFinished()
        releaseUpstream(current)
        worker.exchangeFinished(current, client: clientHostText)
        if !current.clientKeepAlive { drainThenClose() }
        touch()
    }

    /// Returns the exchange's upstream connection to its pool when its response left it clean
    /// and reusable, or closes it.
    func releaseUpstream(_ current: Exchange) {
        guard let upstream = current.upstream else { return }
        var reusable = current.upstreamReusable && !upstream.readClosed
        if worker.kernel?.isSource(upstream) == true {
            // The response is complete and no request is outstanding, so the upstream is
            // silent: reading to EAGAIN first makes removing it from the verdict map safe.
            if upstream.fillFromSocket() != .wouldBlock || !upstream.inbound.isEmpty { reusable = false }
            worker.kernel?.removeSource(upstream)
        }
        if reusable, let lease = current.lease {
            upstream.owner = nil
            current.pool.release(upstream, server: lease.server)
        } else {
            worker.closeChannel(upstream)
        }
    }

    /// The answer now queued is the connection's last.
    func drainThenClose() {
        if state == .open { state = .draining }
    }

    /// Answers with an error page when no answer has begun, otherwise closes.
    func respondError(_ status: Int, reason: String) {
        if let current = exchange, current.answerBegun {
            abort(reason)
            return
        }
        let page = ErrorPage.render(status: status, detail: reason)
        worker.errorAnswered(client: clientHostText, exchange: exchange, status: status, bytes: page.count, reason: reason)
        if let upstream = exchange?.upstream { worker.closeChannel(upstream) }
        exchange = nil
        worker.stats.recordStatus(status)
        client.outbound.append(contentsOf: page)
        drainThenClose()
        client.wantRead = false
    }

    /// Answers `status` for an upstream that failed before its answer began, and logs it as an
    /// upstream failure with `reason` and `details` (for a timeout, what TCP was doing).
    func upstreamFailed(_ reason: String, status: Int = 502, details: Logger.Metadata = [:]) {
        worker.logger.warning("upstream failure", metadata: details.merging(["client": "\(clientAddress)", "reason": "\(reason)"]) { $1 })
        respondError(status, reason: reason)
    }

    func upstreamUnavailable(_ failure: UpstreamFailure) {
        if failure.isServerFailure {
            upstreamFailed(failure.reason)
        } else {
            respondError(failure.status, reason: failure.reason)
        }
    }

    /// Closes both sides at once: the client sees a closed connection, never a response that
    /// looks complete but is not. `details` go into the log line beside `reason`.
    func abort(_ reason: String, details: Logger.Metadata = [:]) {
        worker.logger.info("connection aborted", metadata: details.merging(["client": "\(clientAddress)", "reason": "\(reason)"]) { $1 })
        for body in [exchange?.requestBody, exchange?.responseBody].compactMap({ $0 }) { account(body) }
        close()
    }

    /// Shutdown: reads no further request, and closes once the exchange in progress (if any)
    /// is complete and flushed; a response not yet started goes out with Connection: close.
    func closeWhenDone() {
        drainThenClose()
        drive()
    }

    /// Gives the client socket up, open, for another worker to serve: a duplicate taken before
    /// this worker closes and forgets its own. Nil when no descriptor is left for the duplicate;
    /// the connection is closed instead.
    func releaseSocket() -> Int32? {
        let fd = fcntl(client.fd, F_DUPFD_CLOEXEC, 0)
        guard fd >= 0 else {
            abort("no file descriptor left to hand the connection to another worker")
            return nil
        }
        state = .closed
        worker.closeChannel(client)
        worker.sessionHandedOver(self)
        return fd
    }

    func close() {
        guard !closed else { return }
        state = .closed
        if let upstream = exchange?.upstream { worker.closeChannel(upstream) }
        exchange = nil
        // The client's place goes back before its socket closes: a client that sees the
        // connection end and connects again at once finds the place free on every worker.
        worker.sessionClosed(self)
        worker.closeChannel(client)
    }
}
