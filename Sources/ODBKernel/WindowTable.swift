import OdbShared

/// A source's window in odb_windows (`struct odb_window`): the stretch of its stream the
/// verdict may redirect, and the target it goes to.
public struct WindowRecord: Equatable, Sendable {
    /// `end` of a window that never ends by itself (a tunnel direction, or a body that ends when its
    /// source closes): redirect until a side closes.
    public static let unbounded: UInt64 = ODB_WINDOW_UNBOUNDED

    public var sourceCookie: UInt64
    /// Key of the target in odb_targets.
    public var targetCookie: UInt64
    /// Stream offset where redirecting stops, or `unbounded`.
    public var end: UInt64
    /// The verdict passes while the target has more bytes in flight; 0 never passes for it.
    public var highWatermark: UInt64
    /// Bytes ever queued on the target when the window opened or was last rebased.
    public var targetBase: UInt64
    /// The flow's `redirected` when the window opened or was last rebased.
    public var redirectedBase: UInt64
    /// `end` is where a chunk's data ends, and the verdict may walk on past plain chunk-size lines.
    public var chunked: Bool
    /// Set while the verdict grows the budget past `highWatermark` with the target's acknowledgements.
    public var slowStart: SlowStart?
    /// The verdict makes redirected skbs of several filled page fragments linear too (skbs of
    /// small fragments it always makes linear).
    public var linearise: Bool

    public init(sourceCookie: UInt64, targetCookie: UInt64, end: UInt64, highWatermark: UInt64,
                targetBase: UInt64, redirectedBase: UInt64, chunked: Bool, slowStart: SlowStart? = nil,
                linearise: Bool) {
        self.sourceCookie = sourceCookie
        self.targetCookie = targetCookie
        self.end = end
        self.highWatermark = highWatermark
        self.targetBase = targetBase
        self.redirectedBase = redirectedBase
        self.chunked = chunked
        self.slowStart = slowStart
        self.linearise = linearise
    }

    /// The verdict's budget grows by twice what the target acknowledged past `ackedBase`, up to
    /// `ceiling` (`window_budget` in bpf/odb.bpf.c).
    public struct SlowStart: Equatable, Sendable {
        public var ceiling: UInt64
        /// The bytes the target's peer had acknowledged when the window opened (TCP_INFO's
        /// `tcpi_bytes_acked`, which the verdict reads from the target's tcp_sock).
        public var ackedBase: UInt64

        public init(ceiling: UInt64, ackedBase: UInt64) {
            self.ceiling = ceiling
            self.ackedBase = ackedBase
        }
    }
}

/// odb_windows, keyed by source cookie. Written by the relay only while no redirect can happen
/// (no window yet, the previous one's end reached, or passed window bytes unread); the verdict
/// writes one field, ending a window's slow start when the target first goes over its budget.
public struct WindowTable: Sendable {
    private let map: BPFMap<UInt64, odb_window>

    public init(_ objects: KernelObjects) {
        map = objects.windows
    }

    /// Stores `window` under its source's cookie, replacing the one there.
    public func write(_ window: WindowRecord) throws(KernelError) {
        try map.update(window.sourceCookie, odb_window(
            source_cookie: window.sourceCookie, target_cookie: window.targetCookie, end: window.end,
            high_watermark: window.highWatermark, target_base: window.targetBase,
            redirected_base: window.redirectedBase, growth_ceiling: window.slowStart?.ceiling ?? 0,
            acked_base: window.slowStart?.ackedBase ?? 0, chunked: window.chunked ? 1 : 0,
            linearise: window.linearise ? 1 : 0))
    }

    /// The window stored under `cookie`, as the verdict last left it (it ends a slow start).
    public func lookup(source cookie: UInt64) -> WindowRecord? {
        map.lookup(cookie).map { window in
            WindowRecord(
                sourceCookie: window.source_cookie, targetCookie: window.target_cookie, end: window.end,
                highWatermark: window.high_watermark, targetBase: window.target_base,
                redirectedBase: window.redirected_base, chunked: window.chunked != 0,
                slowStart: window.growth_ceiling == 0
                    ? nil : WindowRecord.SlowStart(ceiling: window.growth_ceiling, ackedBase: window.acked_base),
                linearise: window.linearise != 0)
        }
    }

    public func delete(source cookie: UInt64) {
        map.delete(cookie)
    }
}
