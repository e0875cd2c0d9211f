import CSocketShims
import Glibc
import Logging
import ODBKernel

/// A worker's side of the kernel path: opens windows and hears how they end.
///
/// Each worker has its own event ring (registered in odb_event_rings under `eventKey`), so
/// flows of this worker only ever wake this worker's loop.
public final class KernelPath: EventHandler {
    let objects: KernelObjects
    let loop: EventLoop
    let eventKey: UInt64
    let logger: Logger
    let forcedMemory: ForcedBufferMemory
    /// How the windows' targets share a send buffer; the worker sets it anew on a reload.
    var targetSendBuffer: TargetSendBuffer
    let flowTable: FlowTable
    let windowTable: WindowTable
    private let eventRing: EventRing
    /// Sockets this path has used, by channel identity. A socket closed without `forget` leaves
    /// an entry that holds its closed channel (and its records in the maps); such entries are
    /// dropped whenever the table has doubled.
    private var sockets = [ObjectIdentifier: KernelSocket]()
    private var socketsPruneAt = 64
    /// Sockets in the verdict map, by cookie.
    var flows = [UInt64: KernelFlow]()
    /// Flows with a window open; changed only through `setWindow`.
    public private(set) var openWindows = 0
    /// Where passed bytes are peeked before they are written to the target; as large as a
    /// source's largest receive memory, so one burst forwards all of them.
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: SourceBuffer.largest.memory, alignment: 16)

    public init(objects: KernelObjects, loop: EventLoop, eventKey: UInt64, logger: Logger,
                forcedMemory: ForcedBufferMemory, targetSendBuffer: TargetSendBuffer) throws(KernelError) {
        self.objects = objects
        self.forcedMemory = forcedMemory
        self.targetSendBuffer = targetSendBuffer
        self.loop = loop
        self.eventKey = eventKey
        self.logger = logger
        flowTable = FlowTable(objects)
        windowTable = WindowTable(objects)
        eventRing = try EventRing(objects: objects, key: eventKey)
        loop.register(eventRing.pollDescriptor, events: EventLoop.readable, handler: self)
    }

    deinit {
        scratch.deallocate()
    }

    /// Leaves the loop, so that this path, its ring and its odb_event_rings entry can go while
    /// the loop lives on (a worker's path lives as long as its loop and never needs this).
    public func leaveLoop() {
        loop.unregister(eventRing.pollDescriptor)
    }

    public func handle(events: UInt32) {
        drain()
    }

    /// True while the socket is in the verdict map; its bytes then arrive through its psock
    /// queue, which splice(2) does not read.
    public func isSource(_ channel: SocketChannel) -> Bool {
        known(channel).map { flows[$0.cookie] != nil } ?? false
    }

    func known(_ channel: SocketChannel) -> KernelSocket? {
        sockets[ObjectIdentifier(channel)]
    }

    private func socket(_ channel: SocketChannel) -> KernelSocket {
        if let socket = known(channel) { return socket }
        if sockets.count >= socketsPruneAt {
            for (key, socket) in sockets where socket.channel.isClosed {
                deleteSourceRecords(of: socket)
                sockets.removeValue(forKey: key)
            }
            socketsPruneAt = max(64, 2 * sockets.count)
        }
        let socket = KernelSocket(channel: channel)
        sockets[ObjectIdentifier(channel)] = socket
        return socket
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
    ///
    /// `sourceJoinsPerBody`: the source leaves the map once this body is over (an upstream back
    /// to its pool), so what it sends before its next window waits in its queue until that
    /// window's join. Its source memory is sized for that (`SourceBuffer.full`).
    public func openWindow(
        source: SocketChannel, target: SocketChannel, length: UInt64?, chunked: Bool = false, budget: UInt64,
        sourceJoinsPerBody: Bool = false, lookahead: ((UnsafeRawBufferPointer) -> UInt64?)? = nil,
        delegate: KernelWindowDelegate
    ) throws(KernelPathUnavailable) -> KernelWindow {
        var length = length
        let sourceSocket = socket(source)
        let targetSocket = socket(target)
        let joined = flows[sourceSocket.cookie]
        guard joined?.window == nil else { throw .windowStillOpen }
        // A target stays tracked from its first window until it closes.
        guard targetSocket.inTargetMap || objects.tracksSocket(cookie: targetSocket.cookie) else { throw .targetNotTracked }
        let sendBuffer = targetSendBuffer.size(budget: Int(clamping: budget), othersOpen: openWindows)
        // The kernel doubles both values: the source's receive memory, twice the send buffer.
        let fullBuffer = SourceBuffer.full(declaredLength: chunked ? nil : length, joinsPerBody: sourceJoinsPerBody)
        guard forcedMemory.reserve([.init(channel: source, side: .receive, bytes: fullBuffer.memory),
                                    .init(channel: target, side: .send, bytes: 2 * sendBuffer)]) else {
            throw .bufferMemoryCap
        }
        let flow = joined ?? KernelFlow(channel: source, cookie: sourceSocket.cookie)
        let join = MapJoin(source: source, target: target)
        do throws(KernelPathUnavailable) {
            if !targetSocket.inTargetMap {
                try join { () throws(KernelError) in try objects.targets.insert(cookie: targetSocket.cookie, fd: target.fd) }
                targetSocket.inTargetMap = true
            }
            if joined == nil {
                try join { () throws(KernelError) in try flowTable.create(source: flow.cookie, eventKey: eventKey) }
                sourceSocket.hasSourceRecords = true
            } else {
                // No window is open, so the verdict redirects nothing and these stay put.
                guard let record = flowTable.lookup(source: flow.cookie), record.state == .active else {
                    throw .sourceFailed
                }
                flow.take(record)
                if let lookahead, flow.unread > 0 {
                    length = try peekAhead(source, unread: flow.unread, lookahead)
                }
            }
            let acked = Self.acknowledged(target)
            var pace = targetSocket.pace ?? DrainPacedBudget(ceiling: budget)
            pace.open(ceiling: budget, acked: acked ?? 0, now: loop.now)
            targetSocket.pace = pace
            // A chunked window's length is one chunk's, and it may grow: neither decision may count on it.
            let knownLength = chunked ? nil : length
            let opening = openingBudget(pace, length: knownLength, ceiling: budget,
                                        targetInFlight: Self.inFlight(target, acked: acked))
            let linearise = SkbLinearising.wanted(length: knownLength, targetSegment: targetSocket.segmentSize)
            let window = KernelWindow(
                flow: flow, target: target, targetCookie: targetSocket.cookie, length: length, chunked: chunked,
                fullSourceBuffer: fullBuffer, linearise: linearise, budget: opening,
                slowStart: slowStart(opening, ceiling: budget, acked: acked), delegate: delegate)
            try join { () throws(KernelError) in try windowTable.write(window.record) }
            sizeSourceBuffer(of: window, readerKeepsUp: pace.keepsUp)
            // The paced budget bounds what the window may have in flight; the send buffer, how
            // far the backlog worker may run ahead of the reader (`TargetSendBuffer`).
            if target.memory[.send] != 2 * sendBuffer { target.fixMemory(.send, at: 2 * sendBuffer) }
            setWindow(window, of: flow)
            if joined == nil {
                try join { () throws(KernelError) in try objects.sources.insert(cookie: flow.cookie, fd: source.fd) }
                flows[flow.cookie] = flow
                // Skbs queued before the socket joined reach the verdict now, in this call.
                Socket.kickDataReady(source.fd)
            } else {
                // Bytes passed before the window opened may be waiting in the source's queue.
                loop.later { self.refresh(window) }
            }
            return window
        } catch {
            setWindow(nil, of: flow)
            // A source joining with this window made its records here; one already joined keeps them.
            if joined == nil { deleteSourceRecords(of: sourceSocket) }
            throw error
        }
    }

    /// One map call of a window's join, its failure told as the refusal it means: the socket
    /// maps take established sockets only, so a source or target whose peer has closed or reset
    /// it is refused for that, not for the map.
    private struct MapJoin {
        let source: SocketChannel
        let target: SocketChannel

        func callAsFunction(_ call: () throws(KernelError) -> Void) throws(KernelPathUnavailable) {
            do {
                try call()
            } catch {
                if odb_tcp_established(source.fd) == 0 || odb_tcp_established(target.fd) == 0 { throw .peerClosed }
                throw .mapUpdateFailed(error)
            }
        }
    }

    /// The budget a window opens with: its target's pace, or room for the whole body on top of
    /// what the target already holds when the body's length is known and at most half the
    /// route's budget. Such a body's bytes in flight are bounded by its length, and a crossing
    /// would hand up to the source's memory of it to user space before its reader could show its
    /// pace (a new connection, or a pipelined one whose earlier answers are still unread).
    private func openingBudget(_ pace: DrainPacedBudget, length: UInt64?, ceiling: UInt64, targetInFlight: UInt64) -> UInt64 {
        guard let length, length <= ceiling / 2 else { return pace.current }
        return max(pace.current, min(ceiling, targetInFlight + length))
    }

    /// A window opened below the route's budget lets the verdict grow it with what the target
    /// acknowledges (`window_budget` in bpf/odb.bpf.c): the pace is not known before bytes flow,
    /// and a fast reader's first body would otherwise cross the opening budget. Its base is the
    /// target's acknowledged count from the TCP_INFO the opening reads anyway: the same counter
    /// the verdict reads from the target's tcp_sock.
    private func slowStart(_ opening: UInt64, ceiling: UInt64, acked: UInt64?) -> WindowRecord.SlowStart? {
        guard opening < ceiling, let acked else { return nil }
        return WindowRecord.SlowStart(ceiling: ceiling, ackedBase: acked)
    }

    /// Gives the window's source the receive memory `SourceBuffer` names for its reader and its
    /// body, unless it already has as much. Within `net.core.rmem_max` no capability is
    /// needed to set it (`SocketBufferCeiling`); the kernel doubles the value.
    ///
    /// While the source is in the verdict map its memory is only ever grown: TCP never takes back
    /// window it advertised, and a smaller buffer would drop what the sender may still send
    /// (docs/PERFORMANCE.md §3); it may shrink when the source leaves the map (`removeSource`).
    /// A pooled upstream keeps the standard size between bodies, and one a spliced body grew it
    /// to (`SpliceMemory`): its passed bytes then close the window later.
    func sizeSourceBuffer(of window: KernelWindow, readerKeepsUp: Bool) {
        let full = window.fullSourceBuffer
        let size = readerKeepsUp || !full.waitsForThePace ? full : SourceBuffer.starting
        guard size.memory > window.source.memory[.receive] ?? 0 else { return }
        window.source.fixMemory(.receive, at: size.memory, windowClamp: size.window)
    }

    /// A window that completed while the verdict still grew its budget never found its reader
    /// behind: that reader keeps up, and its source gets its full memory. A connection with one
    /// body (or an upstream whose clients each fetch one) is never measured otherwise, and its
    /// source would keep the starting memory that stalls a fast flow.
    /// A source that already has all of it (a pooled upstream after its first such window)
    /// needs no look at the window's record.
    private func growSourceOfAReaderThatKeptUp(_ window: KernelWindow) {
        guard window.slowStart != nil, known(window.source) != nil,
              window.source.memory[.receive] ?? 0 < window.fullSourceBuffer.memory,
              windowTable.lookup(source: window.sourceCookie)?.slowStart != nil else { return }
        sizeSourceBuffer(of: window, readerKeepsUp: true)
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
    /// on its way to the verdict while the socket leaves the map is dropped by the kernel. For
    /// the same reason its memory may shrink now without dropping anything the peer may still
    /// send (`SourceBuffer.afterLeaving`).
    public func removeSource(_ channel: SocketChannel) {
        guard leave(channel) else { return }
        if let size = SourceBuffer.afterLeaving(channel.memory[.receive]) {
            channel.fixMemory(.receive, at: size.memory, windowClamp: size.window)
            // A smaller share is always granted.
            _ = forcedMemory.reserve([.init(channel: channel, side: .receive, bytes: size.memory)])
        }
    }

    /// Takes a socket out of the verdict map; false when it was not in it. Its flow and window
    /// records stay until it closes: the verdict reads them only for a socket in the map, and
    /// a pooled upstream's next join rewrites both, so deleting them per body would cost two
    /// `bpf(2)` calls for nothing.
    private func leave(_ channel: SocketChannel) -> Bool {
        guard let socket = known(channel), let flow = flows[socket.cookie] else { return false }
        objects.sources.remove(cookie: socket.cookie)
        flows.removeValue(forKey: socket.cookie)
        _ = flow.window?.conclude()
        setWindow(nil, of: flow)
        return true
    }

    /// Forgets a closing socket's map entries (the kernel drops closed sockets from SOCKHASHes
    /// on its own; this keeps flow and window records from outliving them).
    public func forget(_ channel: SocketChannel) {
        _ = leave(channel)
        guard let socket = sockets.removeValue(forKey: ObjectIdentifier(channel)) else { return }
        deleteSourceRecords(of: socket)
        if socket.inTargetMap {
            objects.targets.remove(cookie: socket.cookie)
        }
    }

    private func deleteSourceRecords(of socket: KernelSocket) {
        guard socket.hasSourceRecords else { return }
        windowTable.delete(source: socket.cookie)
        flowTable.delete(source: socket.cookie)
        socket.hasSourceRecords = false
    }

    /// Reads all pending events and acts on them.
    public func drain() {
        // Every event says a flow changed state; the flow record says how.
        for event in eventRing.consume() {
            guard let flow = flows[event.sourceCookie] else { continue }
            if let window = flow.window {
                refresh(window)
            } else if event.kind == .failed {
                logger.error("the verdict could not trim an skb outside a window", metadata: ["cookie": "\(event.sourceCookie)"])
            }
        }
    }

    /// Drains before the loop handles a batch of readiness events, so that a source's bytes are
    /// never read before the end of the window that explains them. With no window open no event
    /// explains any bytes, and the ring's own readiness drains it (`handle(events:)`).
    public func drainBeforeEvents() {
        if openWindows > 0 { drain() }
    }

    /// Periodic safety net for a lost event.
    public func sweep() {
        for window in flows.values.compactMap(\.window) { refresh(window) }
    }

    private func setWindow(_ window: KernelWindow?, of flow: KernelFlow) {
        openWindows += (window == nil ? 0 : 1) - (flow.window == nil ? 0 : 1)
        flow.window = window
    }

    func finish(_ window: KernelWindow, _ ending: KernelWindow.Ending) {
        guard !window.ended else { return }
        let delegate = window.conclude()
        if ending == .complete { growSourceOfAReaderThatKeptUp(window) }
        if window.flow.window === window { setWindow(nil, of: window.flow) }
        window.target.backlogBytesQueued = window.targetBacklogBase + window.redirected
        delegate?.kernelWindowEnded(window, ending)
    }
}
