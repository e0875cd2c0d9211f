import CSocketShims
import Glibc
import ODBKernel

/// How an open window moves on: reading the flow record, forwarding passed bytes, ending.
extension KernelPath {
    /// Reads the source's flow record, forwards passed window bytes, and ends the window once
    /// every byte of it is out. Also the safety net for a lost event: the sweep and socket
    /// readiness call it.
    public func refresh(_ window: KernelWindow) {
        guard !window.ended, update(window) else { return }
        forwardPassed(window)
        guard !window.ended, window.flow.position >= window.end else { return }
        if !window.chunked {
            finish(window, .complete)
        } else if window.flow.unread > 0 {
            closeChunkedWindow(window)
        }
    }

    /// The source or the target of a window became ready: forward passed bytes, notice an end
    /// of stream (a peek of 0 bytes while nothing passed is waiting).
    public func socketReady(_ window: KernelWindow) {
        refresh(window)
        guard !window.ended, window.sourceEOFSeen == nil, window.flow.unread == 0 else { return }
        var byte: UInt8 = 0
        let peeked = recv(window.source.fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            window.source.wantRead = false
            sourceClosed(window)
        } else if peeked > 0 {
            refresh(window)
        }
    }

    /// The source reached end of stream during the window. Bytes before the FIN may still be
    /// waiting for the verdict, so the window gets a short grace period to complete.
    public func sourceClosed(_ window: KernelWindow) {
        guard !window.ended else { return }
        let seen = window.sourceEOFSeen ?? loop.now
        window.sourceEOFSeen = seen
        refresh(window)
        guard !window.ended else { return }
        let before = window.redirected + window.forwarded
        loop.schedule(after: 0.005) {
            guard !window.ended else { return }
            self.refresh(window)
            if window.ended { return }
            // Bytes the verdict passed may still wait (for the budget, or in the psock's
            // backlog, where a peek does not see them yet), and received bytes may not have
            // reached the verdict yet: only an idle source with nothing received unconsumed is over.
            let drained = window.flow.unread == 0 && odb_unread_bytes(window.source.fd) == 0
            if drained && window.redirected + window.forwarded == before && self.loop.now - seen > 0.1 {
                self.finish(window, .sourceClosed)
            } else {
                self.sourceClosed(window)
            }
        }
    }

    /// A chunked window grows while the verdict checks chunk-size lines. Once user space stands
    /// at its end with bytes past it waiting, the relay's parser takes over there; the window is
    /// pinned to that end first, so the verdict cannot walk on under the parser. No skb can be
    /// redirected meanwhile: the waiting bytes are unread.
    private func closeChunkedWindow(_ window: KernelWindow) {
        do {
            try windowTable.write(window.pinnedRecord)
            finish(window, .complete)
        } catch {
            logger.error("closing a chunked window failed", metadata: ["error": "\(error)"])
            finish(window, .failed)
        }
    }

    /// Takes in the flow record; false (and the window finished) when the verdict gave up on it.
    private func update(_ window: KernelWindow) -> Bool {
        guard let record = flowTable.lookup(source: window.sourceCookie) else { return false }
        window.flow.take(record)
        window.redirected = record.redirected - window.redirectedBase
        if window.chunked && record.chunkEnd > window.end { window.end = record.chunkEnd }
        window.target.backlogBytesQueued = window.targetBacklogBase + window.redirected
        switch record.state {
        case .targetGone:
            finish(window, .targetGone)
            return false
        case .failed:
            finish(window, .failed)
            return false
        case .active:
            return true
        }
    }

    /// Writes passed window bytes to the target, in stream order.
    ///
    /// They are peeked, written, and only then consumed: until user space consumes them the
    /// verdict passes every later skb too, so no redirected byte can overtake bytes still in
    /// user space. A write waits until the redirected bytes before it have left the backlog,
    /// and until the target holds at most a quarter of its budget: then the backlog of passed
    /// bytes goes out in one burst (no more than refills the budget), faster than the sender can
    /// refill the reopened window, the verdict's next skb finds nothing unread before it and is
    /// redirected again, and three quarters of a budget go through the kernel before the
    /// target can cross it again (fast readers: 93-95 % of their bytes in the kernel waiting
    /// for half, 94-99 % for a quarter; docs/PERFORMANCE.md §7).
    private func forwardPassed(_ window: KernelWindow) {
        let flow = window.flow
        let target = window.target
        while !window.ended && flow.unread > 0 && flow.position < window.end {
            let inFlight = targetInFlight(target)
            guard target.outbound.isEmpty, target.backlogDrained(), inFlight <= window.budget / 4 else {
                target.retryWhenDrained()
                return
            }
            let wanted = Int(min(UInt64(scratch.count), window.end - flow.position, window.budget - inFlight))
            let peeked = recv(window.source.fd, scratch.baseAddress, wanted, Int32(MSG_PEEK | MSG_DONTWAIT))
            guard peeked > 0 else {
                if peeked == 0 && window.sourceEOFSeen == nil { sourceClosed(window) }
                return
            }
            // Bytes redirected since the last look lie before the peeked ones and move the
            // window's remainder; none can be redirected while these stay unread. So the count
            // read now is final for them, and they may be written only once every byte it
            // names has left the backlog: the check above could have counted fewer (the verdict
            // runs on another CPU), and a write then overtook an skb still in the backlog.
            guard update(window), flow.position < window.end else { return }
            guard target.backlogDrained() else {
                target.retryWhenDrained()
                return
            }
            let inside = Int(min(UInt64(peeked), window.end - flow.position))
            let sent = send(target.fd, scratch.baseAddress, inside, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            guard sent > 0 else {
                if errno == EAGAIN { target.wantWrite = true } else { finish(window, .targetGone) }
                return
            }
            target.recordDirectWrite(sent)
            window.forwarded += UInt64(sent)
            rebase(window)
            guard window.source.discard(sent, into: scratch) else {
                logger.error("consuming forwarded bytes failed", metadata: ["expected": "\(sent)"])
                finish(window, .failed)
                return
            }
            if sent < inside {
                target.wantWrite = true
                return
            }
        }
        target.wantWrite = false
    }

    /// Tells the verdict what the target now holds and may hold: the bytes just forwarded count
    /// against the budget like redirected ones (a window's `targetBase` otherwise counts only
    /// what was queued when it opened, and a slow target held its budget on top of every burst),
    /// and the budget follows the reader's pace.
    ///
    /// Called between writing forwarded bytes and consuming them: while they are unread the
    /// verdict redirects nothing, so the flow's `redirected` is final and the window may change.
    private func rebase(_ window: KernelWindow) {
        if let pace = measurePace(window.target) {
            window.budget = pace.current
            if known(window.source) != nil {
                sizeSourceBuffer(of: window, readerKeepsUp: pace.keepsUp)
            }
        }
        if window.slowStart != nil && windowTable.lookup(source: window.sourceCookie)?.slowStart == nil {
            window.slowStart = nil
        }
        do {
            try windowTable.write(window.record(flowRedirected: window.flow.redirected))
        } catch {
            logger.error("updating a window's budget failed", metadata: ["error": "\(error)"])
        }
    }

    /// Takes a reading of how fast the target's reader drains, after a forwarded burst.
    private func measurePace(_ target: SocketChannel) -> DrainPacedBudget? {
        guard let targetSocket = known(target), var pace = targetSocket.pace,
              let acked = Self.acknowledged(target) else { return nil }
        pace.measure(acked: acked, now: loop.now)
        targetSocket.pace = pace
        return pace
    }

    func targetInFlight(_ target: SocketChannel) -> UInt64 {
        Self.inFlight(target, acked: Self.acknowledged(target))
    }

    /// Bytes queued on the target and not yet acknowledged, by `acked`; 0 when it is unknown.
    static func inFlight(_ target: SocketChannel, acked: UInt64?) -> UInt64 {
        guard let acked else { return 0 }
        return target.queuedTotal > acked ? target.queuedTotal - acked : 0
    }

    /// Bytes the target's peer has acknowledged, or nil when the socket cannot tell.
    static func acknowledged(_ target: SocketChannel) -> UInt64? {
        var acked: UInt64 = 0
        return odb_tcp_bytes_acked(target.fd, &acked) == 0 ? acked : nil
    }
}
