import CLibBPF
import Glibc
import OdbShared

/// What the BPF programs tell a consumer about a flow (`struct odb_event`).
public struct KernelEvent: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// A window's end was reached.
        case windowDone
        /// A redirect found no target.
        case targetGone
        /// The verdict could not trim an skb.
        case failed
    }

    public let sourceCookie: UInt64
    public let kind: Kind

    init(_ event: odb_event) {
        sourceCookie = event.source_cookie
        kind = switch event.type {
        case ODB_EVENT_TARGET_GONE.rawValue: .targetGone
        case ODB_EVENT_FAILED.rawValue: .failed
        default: .windowDone
        }
    }
}

/// One consumer's ring buffer, registered in odb_event_rings under `key`: the flows whose
/// records name that key report here, and only here.
public final class EventRing {
    private let objects: KernelObjects
    private let key: UInt64
    private let fd: Int32
    private var ring: OpaquePointer?
    private var received = [KernelEvent]()
    /// The storage of the batch `consume` handed out last, swapped with `received` on the next
    /// call: once its caller has let go, neither array needs new storage.
    private var delivered = [KernelEvent]()

    public init(objects: KernelObjects, key: UInt64) throws(KernelError) {
        self.objects = objects
        self.key = key
        fd = odb_create_ringbuf("odb_events", UInt32(ODB_EVENT_RING_BYTES))
        guard fd >= 0 else { throw .kernelFeatureMissing(feature: "BPF ring buffers", errno: errno) }
        try objects.eventRings.update(key, UInt32(fd))
        let context = Unmanaged.passUnretained(self).toOpaque()
        ring = ring_buffer__new(fd, { context, data, size in
            guard let context, let data, size >= MemoryLayout<odb_event>.size else { return 0 }
            let ring = Unmanaged<EventRing>.fromOpaque(context).takeUnretainedValue()
            ring.received.append(KernelEvent(data.loadUnaligned(as: odb_event.self)))
            return 0
        }, context, nil)
        guard ring != nil else { throw .kernelFeatureMissing(feature: "BPF ring buffers", errno: errno) }
    }

    deinit {
        objects.eventRings.delete(key)
        if let ring { ring_buffer__free(ring) }
        if fd >= 0 { close(fd) }
    }

    /// Readable while events wait; for an event loop to watch.
    public var pollDescriptor: Int32 { ring_buffer__epoll_fd(ring) }

    /// Every event waiting, oldest first.
    ///
    /// An event loop calls this before every wait: with nothing received it returns an empty
    /// array, which needs no storage. A batch is `received`'s storage handed out, and the last
    /// batch's storage receives the next events, so neither is allocated anew.
    public func consume() -> [KernelEvent] {
        guard let ring else { return [] }
        ring_buffer__consume(ring)
        guard !received.isEmpty else { return [] }
        swap(&received, &delivered)
        received.removeAll(keepingCapacity: true)
        return delivered
    }
}
