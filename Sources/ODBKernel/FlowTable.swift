import OdbShared

/// A source socket's record in odb_flows (`struct odb_flow`): how far the verdict has got in
/// its stream, which counts from the moment the socket joined odb_sources.
public struct FlowRecord: Equatable, Sendable {
    public enum State: Equatable, Sendable {
        /// The verdict redirects (or passes) the socket's skbs.
        case active
        /// A redirect found no target; the exchange must abort.
        case targetGone
        /// The verdict could not trim an skb; the exchange must abort.
        case failed
    }

    /// Stream bytes the verdict has handled, redirected or passed (`offset`).
    public let handled: UInt64
    /// Bytes redirected, all windows together.
    public let redirected: UInt64
    /// In a chunked window: where the data of the last chunk-size line the verdict checked ends.
    public let chunkEnd: UInt64
    public let state: State

    init(_ entry: odb_flow) {
        handled = entry.offset
        redirected = entry.redirected
        chunkEnd = entry.chunk_end
        // The verdict writes no other state; one this build does not know cannot be trusted.
        state = switch entry.state {
        case UInt32(ODB_FLOW_ACTIVE.rawValue): .active
        case UInt32(ODB_FLOW_TARGET_GONE.rawValue): .targetGone
        default: .failed
        }
    }
}

/// odb_flows, keyed by source cookie. The relay creates a record just before the socket joins
/// odb_sources, and anew at every later join, and deletes it when the socket closes; the
/// verdict is its only writer while the socket is in odb_sources.
public struct FlowTable: Sendable {
    private let map: BPFMap<UInt64, odb_flow>

    public init(_ objects: KernelObjects) {
        map = objects.flows
    }

    /// A fresh record at stream offset 0, whose events go to the ring under `eventKey`.
    public func create(source cookie: UInt64, eventKey: UInt64) throws(KernelError) {
        try map.update(cookie, odb_flow(
            offset: 0, redirected: 0, passed: 0, event_key: eventKey, chunk_end: 0,
            state: UInt32(ODB_FLOW_ACTIVE.rawValue), handed_seq: 0, handed_known: 0, pad: 0))
    }

    public func lookup(source cookie: UInt64) -> FlowRecord? {
        map.lookup(cookie).map(FlowRecord.init)
    }

    public func delete(source cookie: UInt64) {
        map.delete(cookie)
    }
}
