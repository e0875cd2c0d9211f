import CLibBPF
import CSocketShims
import Glibc
import Logging
import ODBKernel
import OdbShared

/// A worker's side of the kernel path: starts flows and hears how they end.
///
/// Each worker has its own event ring (registered in odb_event_rings under `eventKey`), so
/// flows of this worker only ever wake this worker's loop.
public final class KernelPath: EventHandler {
    let objects: KernelObjects
    let loop: EventLoop
    let eventKey: UInt64
    let logger: Logger
    let forcedMemory: ForcedBufferMemory
    private let ringFD: Int32
    private var ring: OpaquePointer?
    private var sources = [UInt64: KernelSource]()
    private var events = [odb_event]()
    /// Where passed bytes are peeked before they are written to the target; as large as the
    /// source's receive memory, so one burst forwards all of them.
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(sourceMemory), alignment: 16)
    /// A source's receive memory while it is in the verdict map, and the most receive window it
    /// may advertise; see `sizeSourceBuffer`.
    static let sourceMemory: Int32 = 4 << 20
    static let sourceWindowClamp: Int32 = 1 << 20

    public init(objects: KernelObjects, loop: EventLoop, eventKey: UInt64, logger: Logger,
                forcedMemory: ForcedBufferMemory) throws(KernelError) {
        self.objects = objects
        self.forcedMemory = forcedMemory
        self.loop = loop
        self.eventKey = eventKey
        self.logger = logger
        ringFD = odb_create_ringbuf("odb_events", UInt32(ODB_EVENT_RING_BYTES))
        guard ringFD >= 0 else { throw .kernelFeatureMissing(feature: "BPF ring buffers", errno: errno) }
        try objects.eventRings.update(eventKey, UInt32(ringFD))
        let context = Unmanaged.passUnretained(self).toOpaque()
        ring = ring_buffer__new(ringFD, { context, data, size in
            guard let context, let data, size >= MemoryLayout<odb_event>.size else { return 0 }
            let path = Unmanaged<KernelPath>.fromOpaque(context).takeUnretainedValue()
            path.events.append(data.loadUnaligned(as: odb_event.self))
            return 0
        }, context, nil)
        guard let ring else { throw .kernelFeatureMissing(feature: "BPF ring buffers", errno: errno) }
        loop.register(ring_buffer__epoll_fd(ring), events: EventLoop.readable, handler: self)
    }

    deinit {
        scratch.deallocate()
        objects.eventRings.delete(eventKey)
        if let ring { ring_buffer__free(ring) }
        close(ringFD)
    }

    /// Leaves the loop, so that this path, its ring and its odb_event_rings entry can go while
    /// the loop lives on (a worker's path lives as long as its loop and never needs this).
    public func leaveLoop() {
        if let ring { loop.unregister(ring_buffer__epoll_fd(ring)) }
    }

    public var activeFlows: Int { sources.values.reduce(0) { $0 + ($1.flow == nil ? 0 : 1) } }

    public func handle(events: UInt32) {
        drain()
    }

    /// Opens a window over the next `length` bytes of `source` (nil: until it closes), redirected
    /// to `target`. The source joins the verdict map on its first window and stays until it
    /// closes or `removeSource`.
    ///
    /// Preconditions the caller guarantees: user space holds none of the source's unprocessed
    /// bytes (`source.inbound` is empty), and `target.outbound` is empty.
    ///
    /// A chunked window of a socket already in the map may find bytes the verdict passed while
    /// no window was open; it never sees those again, so it could not check their chunk-size
    /// lines. `lookahead` reads them (peeked, not consumed) and answers how long the window must
    /// be to end at a chunk's data end past them, or nil when it cannot; the window then covers
    /// them and the verdict walks on from its end.
    public func start(
        source: SocketChannel, target: SocketChannel, length: UInt64?, chunked: Bool = false, budget: UInt64,
        lookahead: ((UnsafeRawBufferPointer) -> UInt64?)? = nil, delegate: KernelFlowDelegate
    ) throws(KernelPathUnavailable) -> KernelFlow {
        var length = length
        let joined = sources[source.cookie]
        if joined == nil && source.inSourceMap { throw .sourceAlreadyInMap }
        guard joined?.flow == nil else { throw .windowStillOpen }
        guard objects.socks.lookup(target.cookie) != nil else { throw .targetNotTracked }
        // The kernel doubles both values: the source's receive memory, twice the budget to send.
        guard forcedMemory.hold([(source, Int(Self.sourceMemory)), (target, 2 * Int(clamping: budget))]) else {
            throw .bufferMemoryCap
        }
        let record = joined ?? KernelSource(channel: source)
        do {
            if !target.inTargetMap {
                try objects.targets.insert(cookie: target.cookie, fd: target.fd)
                target.inTargetMap = true
            }
            if joined == nil {
                try objects.flows.update(source.cookie, odb_flow(
                    offset: 0, redirected: 0, passed: 0, event_key: eventKey, chunk_end: 0,
                    state: UInt32(ODB_FLOW_ACTIVE.rawValue), handed_seq: 0, handed_known: 0, pad: 0))
            } else {
                // No window is open, so the verdict redirects nothing and these stay put.
                guard let entry = objects.flows.lookup(source.cookie), entry.state == UInt32(ODB_FLOW_ACTIVE.rawValue) else {
                    throw KernelPathUnavailable.sourceFailed
                }
                record.redirected = entry.redirected
                record.handled = entry.offset
                if let lookahead, record.unread > 0 {
                    length = try peekAhead(source, unread: record.unread, lookahead)
                }
            }
            let flow = KernelFlow(
                source: source, target: target, start: record.position, length: length, chunked: chunked,
                budget: budget, redirectedBase: record.redirected, delegate: delegate)
            try objects.windows.update(source.cookie, odb_window(
                source_cookie: source.cookie, target_cookie: target.cookie, end: flow.end, high_watermark: budget,
                target_base: target.queuedTotal, redirected_base: record.redirected, chunked: chunked ? 1 : 0, pad: 0))
            Self.sizeSourceBuffer(source)
            // The backlog worker that sends redirected skbs churns when the target's send
            // buffer is full (docs/DESIGN.md); a send buffer as large as the budget keeps it
            // moving, and the budget still bounds what the flow may have in flight.
            Socket.setOption(target.fd, SOL_SOCKET, SO_SNDBUFFORCE, Int32(clamping: budget))
            record.flow = flow
            if joined == nil {
                try objects.sources.insert(cookie: source.cookie, fd: source.fd)
                source.inSourceMap = true
                sources[source.cookie] = record
                // Skbs queued before the socket joined reach the verdict now, in this call.
                Socket.kickDataReady(source.fd)
            } else {
                // Bytes passed before the window opened may be waiting in the source's queue.
                loop.later { [weak self, weak flow] in
                    if let self, let flow { self.refresh(flow) }
                }
            }
            return flow
        } catch let error as KernelPathUnavailable {
            record.flow = nil
            throw error
        } catch {
            record.flow = nil
            if joined == nil {
                objects.windows.delete(source.cookie)
                objects.flows.delete(source.cookie)
            }
            throw .mapUpdateFailed("\(error)")
        }
    }

    /// Gives the source four times the receive memory of the window it may advertise.
    ///
    /// A redirected skb stays charged to the source until the target's backlog worker has sent
    /// it, and its freeing sends no window update. With memory as large as the window (it was
    /// 2 MiB of both), the backlog shrank the window offered below one segment, now and then
    /// forced a prune, and the sender sat out a 200 ms zero-window probe (4 MiB bodies, one
    /// connection: 5-20 req/s where copying made 500; docs/PERFORMANCE.md §1a).
    ///
    /// The memory must stay small all the same: once passed bytes fill it, the window closes,
    /// user space forwards all of them in one burst and the verdict redirects again; with room
    /// for more the sender would refill it as fast as they are forwarded, and the flow would
    /// stay in user space (measured with 16 MiB).
    /// `SO_RCVBUF` is capped at `net.core.rmem_max`, so it is only the fallback for a relay
    /// without CAP_NET_ADMIN; the kernel doubles either value.
    private static func sizeSourceBuffer(_ source: SocketChannel) {
        if !Socket.setOption(source.fd, SOL_SOCKET, SO_RCVBUFFORCE, sourceMemory / 2) {
            Socket.setOption(source.fd, SOL_SOCKET, SO_RCVBUF, sourceMemory / 2)
        }
        Socket.setOption(source.fd, Int32(IPPROTO_TCP), TCP_WINDOW_CLAMP, sourceWindowClamp)
    }

    private func peekAhead(
        _ source: SocketChannel, unread: UInt64, _ lookahead: (UnsafeRawBufferPointer) -> UInt64?
    ) throws(KernelPathUnavailable) -> UInt64 {
        let peeked = recv(source.fd, scratch.baseAddress, Int(min(UInt64(scratch.count), unread)), Int32(MSG_PEEK | MSG_DONTWAIT))
        guard peeked > 0, let length = lookahead(UnsafeRawBufferPointer(rebasing: scratch[..<peeked])) else {
            throw .lookaheadRefused
        }
        return length
    }

    /// Takes a socket out of the verdict map. Only call when its peer cannot be sending: an skb
    /// on its way to the verdict while the socket leaves the map is dropped by the kernel.
    public func removeSource(_ channel: SocketChannel) {
        guard channel.inSourceMap else { return }
        objects.sources.remove(cookie: channel.cookie)
        channel.inSourceMap = false
        sources.removeValue(forKey: channel.cookie)?.flow?.ended = true
        objects.windows.delete(channel.cookie)
        objects.flows.delete(channel.cookie)
    }

    /// Forgets a closing socket's map entries (the kernel drops closed sockets from SOCKHASHes
    /// on its own; this keeps flow records from outliving them).
    public func forget(_ channel: SocketChannel) {
        removeSource(channel)
        if channel.inTargetMap {
            objects.targets.remove(cookie: channel.cookie)
            channel.inTargetMap = false
        }
    }

    /// Reads all pending events and acts on them.
    public func drain() {
        guard let ring else { return }
        ring_buffer__consume(ring)
        let batch = events
        events.removeAll(keepingCapacity: true)
        // Every event says a flow changed state; the map entry says how.
        for event in batch {
            guard let record = sources[event.source_cookie] else { continue }
            if let flow = record.flow {
                refresh(flow)
            } else if event.type == ODB_EVENT_FAILED.rawValue {
                logger.error("the verdict could not trim an skb outside a window", metadata: ["cookie": "\(event.source_cookie)"])
            }
        }
    }

    /// Reads the source's flow entry, forwards passed window bytes, and ends the window once
    /// every byte of it is out. Also the safety net for a lost event: the sweep and socket
    /// readiness call it.
    public func refresh(_ flow: KernelFlow) {
        guard !flow.ended, let record = sources[flow.source.cookie], update(record, flow) else { return }
        forwardPassed(flow, record)
        guard !flow.ended, record.position >= flow.end else { return }
        if !flow.chunked {
            finish(flow, .complete)
        } else if record.unread > 0 {
            closeChunkedWindow(flow)
        }
    }

    /// A chunked window grows while the verdict checks chunk-size lines. Once user space stands
    /// at its end with bytes past it waiting, the relay's parser takes over there; the window is
    /// pinned to that end first, so the verdict cannot walk on under the parser. No skb can be
    /// redirected meanwhile: the waiting bytes are unread.
    private func closeChunkedWindow(_ flow: KernelFlow) {
        do {
            try objects.windows.update(flow.source.cookie, odb_window(
                source_cookie: flow.source.cookie, target_cookie: flow.target.cookie, end: flow.end, high_watermark: 0,
                target_base: 0, redirected_base: 0, chunked: 0, pad: 0))
            finish(flow, .complete)
        } catch {
            logger.error("closing a chunked window failed", metadata: ["error": "\(error)"])
            finish(flow, .failed)
        }
    }

    /// Takes in the flow entry; false (and the flow finished) when the verdict gave up on it.
    private func update(_ record: KernelSource, _ flow: KernelFlow) -> Bool {
        guard let entry = objects.flows.lookup(record.channel.cookie) else { return false }
        record.redirected = entry.redirected
        record.handled = entry.offset
        flow.redirected = entry.redirected - flow.redirectedBase
        if flow.chunked && entry.chunk_end > flow.end { flow.end = entry.chunk_end }
        flow.target.kernelBytesQueued = flow.targetKernelBase + flow.redirected
        switch entry.state {
        case UInt32(ODB_FLOW_TARGET_GONE.rawValue):
            finish(flow, .targetGone)
            return false
        case UInt32(ODB_FLOW_FAILED.rawValue):
            finish(flow, .failed)
            return false
        default:
            return true
        }
    }

    /// Writes passed window bytes to the target, in stream order.
    ///
    /// They are peeked, written, and only then consumed: until user space consumes them the
    /// verdict passes every later skb too, so no redirected byte can overtake bytes still in
    /// user space. A write waits until the redirected bytes before it have left the backlog,
    /// and until the target is below half its budget: then the whole backlog of passed bytes
    /// goes out in one burst, faster than the sender can refill the reopened window, and the
    /// verdict's next skb finds nothing unread before it and is redirected again.
    private func forwardPassed(_ flow: KernelFlow, _ record: KernelSource) {
        while !flow.ended && record.unread > 0 && record.position < flow.end {
            guard flow.target.outbound.isEmpty, flow.target.kernelBacklogDrained(),
                  targetInFlight(flow.target) <= flow.budget / 2 else {
                flow.target.retryWhenDrained()
                return
            }
            let wanted = Int(min(UInt64(scratch.count), flow.end - record.position))
            let peeked = recv(flow.source.fd, scratch.baseAddress, wanted, Int32(MSG_PEEK | MSG_DONTWAIT))
            guard peeked > 0 else {
                if peeked == 0 && flow.sourceEOFSeen == nil { sourceClosed(flow) }
                return
            }
            // Bytes redirected since the last look lie before the peeked ones and move the
            // window's remainder; none can be redirected while these stay unread. So the count
            // read now is final for them, and they may be written only once every byte it
            // names has left the backlog: the check above could have counted fewer (the verdict
            // runs on another CPU), and a write then overtook an skb still in the backlog.
            guard update(record, flow), record.position < flow.end else { return }
            guard flow.target.kernelBacklogDrained() else {
                flow.target.retryWhenDrained()
                return
            }
            let inside = Int(min(UInt64(peeked), flow.end - record.position))
            let sent = send(flow.target.fd, scratch.baseAddress, inside, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            guard sent > 0 else {
                if errno == EAGAIN { flow.target.wantWrite = true } else { finish(flow, .targetGone) }
                return
            }
            guard flow.source.discard(sent, into: scratch) else {
                logger.error("consuming forwarded bytes failed", metadata: ["expected": "\(sent)"])
                finish(flow, .failed)
                return
            }
            flow.target.recordDirectWrite(sent)
            flow.forwarded += UInt64(sent)
            if sent < inside {
                flow.target.wantWrite = true
                return
            }
        }
        flow.target.wantWrite = false
    }

    /// The source reached end of stream during the window. Bytes before the FIN may still be
    /// waiting for the verdict, so the window gets a short grace period to complete.
    public func sourceClosed(_ flow: KernelFlow) {
        guard !flow.ended else { return }
        let seen = flow.sourceEOFSeen ?? loop.now
        flow.sourceEOFSeen = seen
        refresh(flow)
        guard !flow.ended else { return }
        let before = flow.redirected + flow.forwarded
        loop.schedule(after: 0.005) { [weak self, weak flow] in
            guard let self, let flow, !flow.ended else { return }
            self.refresh(flow)
            if flow.ended { return }
            // Bytes the verdict passed may still wait (for the budget, or in the psock's
            // backlog, where a peek does not see them yet), and received bytes may not have
            // reached the verdict yet: only an idle source with nothing received unconsumed is over.
            let drained = self.sources[flow.source.cookie]?.unread == 0 && odb_unread_bytes(flow.source.fd) == 0
            if drained && flow.redirected + flow.forwarded == before && self.loop.now - seen > 0.1 {
                self.finish(flow, .sourceClosed)
            } else {
                self.sourceClosed(flow)
            }
        }
    }

    private func targetInFlight(_ target: SocketChannel) -> UInt64 {
        var progress = odb_tcp_progress()
        guard odb_tcp_progress(target.fd, &progress) == 0 else { return 0 }
        return target.queuedTotal > progress.bytes_acked ? target.queuedTotal - progress.bytes_acked : 0
    }

    /// The source or the target of a flow became ready: forward passed bytes, notice an end
    /// of stream (a peek of 0 bytes while nothing passed is waiting).
    public func socketReady(_ flow: KernelFlow) {
        refresh(flow)
        guard !flow.ended, flow.sourceEOFSeen == nil, let record = sources[flow.source.cookie], record.unread == 0 else { return }
        var byte: UInt8 = 0
        let peeked = recv(flow.source.fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            flow.source.wantRead = false
            sourceClosed(flow)
        } else if peeked > 0 {
            refresh(flow)
        }
    }

    /// Periodic safety net for a lost event.
    public func sweep() {
        for flow in sources.values.compactMap(\.flow) { refresh(flow) }
    }

    private func finish(_ flow: KernelFlow, _ ending: KernelFlow.Ending) {
        guard !flow.ended else { return }
        flow.ended = true
        if let record = sources[flow.source.cookie], record.flow === flow { record.flow = nil }
        flow.target.kernelBytesQueued = flow.targetKernelBase + flow.redirected
        flow.delegate?.kernelFlowEnded(flow, ending)
    }
}
