import CLibBPF
import CSocketShims
import Glibc
import Logging
import ODBKernel
import OdbShared

/// A worker's side of the kernel path: starts flows, hears their events, paces them.
///
/// Each worker has its own event ring (registered in odb_event_rings under `eventKey`), so
/// flows of this worker only ever wake this worker's loop.
public final class KernelPath: EventHandler {
    let objects: KernelObjects
    let loop: EventLoop
    let eventKey: UInt64
    let logger: Logger
    private let ringFD: Int32
    private var ring: OpaquePointer?
    private var flows = [UInt64: KernelFlow]()
    private var events = [odb_event]()
    /// Below this many body bytes left, a pause request is ignored: removing the source from
    /// the verdict map is only safe while no skb can be passed, i.e. far from the body's end.
    static let pauseMargin: UInt64 = 4 << 20
    /// The source's receive buffer while it is in a flow; what the peer can push between a
    /// pause request and the source leaving the map is bounded by it (DESIGN.md).
    static let sourceReceiveBuffer: Int32 = 1 << 20

    public init(objects: KernelObjects, loop: EventLoop, eventKey: UInt64, logger: Logger) throws(KernelError) {
        self.objects = objects
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
        objects.eventRings.delete(eventKey)
        if let ring { ring_buffer__free(ring) }
        close(ringFD)
    }

    public var activeFlows: Int { flows.count }

    public func handle(events: UInt32) {
        drain()
    }

    /// Hands the next `length` bytes arriving on `source` to the verdict, redirected to `target`.
    ///
    /// Preconditions the caller guarantees: user space has consumed exactly up to the body's
    /// current position on `source`, and `target.outbound` is empty.
    public func start(
        source: SocketChannel, target: SocketChannel, length: UInt64, budget: UInt64, delegate: KernelFlowDelegate
    ) throws(KernelPathUnavailable) -> KernelFlow {
        guard !source.inSourceMap else { throw .sourceAlreadyInMap }
        guard objects.socks.lookup(target.cookie) != nil else { throw .targetNotTracked }
        do {
            if !target.inTargetMap {
                try objects.targets.insert(cookie: target.cookie, fd: target.fd)
                target.inTargetMap = true
            }
            let flow = KernelFlow(source: source, target: target, length: length, budget: budget, delegate: delegate)
            try objects.flows.update(source.cookie, odb_flow(
                target_cookie: target.cookie, remaining: length, redirected: 0,
                target_base: target.queuedTotal, high_watermark: budget, event_key: eventKey,
                state: UInt32(ODB_FLOW_ACTIVE.rawValue), flags: 0))
            Socket.setOption(source.fd, SOL_SOCKET, SO_RCVBUF, Self.sourceReceiveBuffer)
            try objects.sources.insert(cookie: source.cookie, fd: source.fd)
            source.inSourceMap = true
            flows[source.cookie] = flow
            Socket.kickDataReady(source.fd)
            return flow
        } catch {
            objects.flows.delete(source.cookie)
            throw .mapUpdateFailed(error.description)
        }
    }

    /// Takes a socket out of the verdict map. Only call when its peer cannot be sending.
    public func removeSource(_ channel: SocketChannel) {
        guard channel.inSourceMap else { return }
        objects.sources.remove(cookie: channel.cookie)
        channel.inSourceMap = false
    }

    /// Forgets a closing socket's map entries (the kernel drops closed sockets from SOCKHASHes
    /// on its own; this keeps flows and watches from outliving them).
    public func forget(_ channel: SocketChannel) {
        if let flow = flows.removeValue(forKey: channel.cookie) { flow.ended = true }
        objects.flows.delete(channel.cookie)
        objects.watches.delete(channel.cookie)
        if channel.inSourceMap { removeSource(channel) }
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
        for event in batch {
            guard let flow = flows[event.source_cookie] else { continue }
            switch event.type {
            case UInt32(ODB_EVENT_FLOW_DONE.rawValue), UInt32(ODB_EVENT_TAIL_PASSED.rawValue),
                 UInt32(ODB_EVENT_TARGET_GONE.rawValue), UInt32(ODB_EVENT_FAILED.rawValue):
                refresh(flow)
            case UInt32(ODB_EVENT_PAUSE.rawValue):
                pause(flow)
            case UInt32(ODB_EVENT_RESUME.rawValue):
                resume(flow)
            default:
                break
            }
        }
    }

    /// Reads the flow's map entry and ends the flow if the verdict is finished with it. Also the
    /// safety net for a lost event: the sweep and a readable source call it.
    public func refresh(_ flow: KernelFlow) {
        guard !flow.ended, let entry = objects.flows.lookup(flow.source.cookie) else { return }
        flow.redirected = entry.redirected
        switch entry.state {
        case UInt32(ODB_FLOW_DONE.rawValue):
            finish(flow, .complete, redirected: entry.redirected)
        case UInt32(ODB_FLOW_TAIL_PASSED.rawValue):
            finish(flow, .tail(remaining: entry.remaining), redirected: entry.redirected)
        case UInt32(ODB_FLOW_TARGET_GONE.rawValue):
            finish(flow, .targetGone, redirected: entry.redirected)
        case UInt32(ODB_FLOW_FAILED.rawValue):
            finish(flow, .failed, redirected: entry.redirected)
        default:
            break
        }
    }

    /// The source reached end of stream during the flow. Bytes before the FIN may still be
    /// waiting for the verdict, so the flow gets a short grace period to complete.
    public func sourceClosed(_ flow: KernelFlow) {
        guard !flow.ended else { return }
        refresh(flow)
        guard !flow.ended else { return }
        if flow.paused { resume(flow) }
        let seen = flow.sourceEOFSeen ?? loop.now
        flow.sourceEOFSeen = seen
        let before = flow.redirected
        loop.schedule(after: 0.005) { [weak self, weak flow] in
            guard let self, let flow, !flow.ended else { return }
            self.refresh(flow)
            if flow.ended { return }
            if flow.redirected == before && self.loop.now - seen > 0.1 {
                self.finish(flow, .sourceClosed, redirected: flow.redirected)
            } else {
                self.sourceClosed(flow)
            }
        }
    }

    /// Periodic safety net: lost events, missed ACK callbacks.
    public func sweep() {
        for flow in Array(flows.values) {
            refresh(flow)
            if flow.paused && !flow.ended && targetBelowLowWatermark(flow) { resume(flow) }
        }
    }

    private func finish(_ flow: KernelFlow, _ ending: KernelFlow.Ending, redirected: UInt64) {
        guard !flow.ended else { return }
        flow.ended = true
        flow.redirected = redirected
        flows.removeValue(forKey: flow.source.cookie)
        objects.flows.delete(flow.source.cookie)
        objects.watches.delete(flow.target.cookie)
        flow.target.kernelBytesQueued += redirected
        if flow.paused {
            // A paused source is out of the map already; a tail cannot have been passed.
            flow.paused = false
        }
        flow.delegate?.kernelFlowEnded(flow, ending)
    }

    private func pause(_ flow: KernelFlow) {
        guard !flow.ended, !flow.paused, let entry = objects.flows.lookup(flow.source.cookie),
              entry.state == UInt32(ODB_FLOW_ACTIVE.rawValue), entry.remaining > Self.pauseMargin
        else { return }
        removeSource(flow.source)
        // Out of the map its bytes wait in its receive queue; user space must not read them.
        flow.source.wantRead = false
        // Re-read after removal: if the verdict passed the tail in between, its bytes are
        // lost with the psock, and the only honest outcome is to abort this body.
        guard let after = objects.flows.lookup(flow.source.cookie), after.state == UInt32(ODB_FLOW_ACTIVE.rawValue) else {
            logger.error("flow paused at its tail; aborting", metadata: ["source": "\(flow.source.cookie)"])
            finish(flow, .sourceClosed, redirected: objects.flows.lookup(flow.source.cookie)?.redirected ?? flow.redirected)
            return
        }
        flow.paused = true
        flow.pausedSince = loop.now
        flow.redirected = after.redirected
        let queued = after.target_base + after.redirected
        let threshold = queued > flow.lowWatermark ? queued - flow.lowWatermark : 0
        try? objects.watches.update(flow.target.cookie, odb_watch(
            acked_threshold: threshold, source_cookie: flow.source.cookie, event_key: eventKey))
        if targetBelowLowWatermark(flow) { resume(flow) }
    }

    private func targetBelowLowWatermark(_ flow: KernelFlow) -> Bool {
        var progress = odb_tcp_progress()
        guard odb_tcp_progress(flow.target.fd, &progress) == 0,
              let entry = objects.flows.lookup(flow.source.cookie) else { return false }
        let queued = entry.target_base + entry.redirected
        return queued <= progress.bytes_acked + flow.lowWatermark
    }

    private func resume(_ flow: KernelFlow) {
        guard flow.paused, !flow.ended, var entry = objects.flows.lookup(flow.source.cookie) else { return }
        objects.watches.delete(flow.target.cookie)
        entry.flags &= ~UInt32(ODB_FLOW_PAUSE_REQUESTED.rawValue)
        do {
            try objects.flows.update(flow.source.cookie, entry)
            try objects.sources.insert(cookie: flow.source.cookie, fd: flow.source.fd)
        } catch {
            logger.error("resuming a flow failed: \(error)")
            finish(flow, .sourceClosed, redirected: entry.redirected)
            return
        }
        flow.source.inSourceMap = true
        flow.paused = false
        flow.source.wantRead = true
        Socket.kickDataReady(flow.source.fd)
    }
}

extension KernelFlow {
    public var isPaused: Bool { paused }
}
