import OdbShared

/// A source's window in odb_windows (`struct odb_window`): the stretch of its stream the
/// verdict may redirect, and the target it goes to.
public struct WindowRecord: Equatable, Sendable {
    /// `end` of a window that never ends by itself (a tunnel direction): redirect until a side closes.
    public static let unbounded: UInt64 = ODB_WINDOW_UNBOUNDED

    public var sourceCookie: UInt64
    /// Key of the target in odb_targets.
    public var targetCookie: UInt64
    /// Stream offset where redirecting stops, or `unbounded`.
    public var end: UInt64
    /// The verdict passes while the target has more bytes in flight; 0 never passes for it.
    public var highWatermark: UInt64
    /// Bytes ever queued on the target when the window opened.
    public var targetBase: UInt64
    /// The flow's `redirected` when the window opened.
    public var redirectedBase: UInt64
    /// `end` is where a chunk's data ends, and the verdict may walk on past plain chunk-size lines.
    public var chunked: Bool

    public init(sourceCookie: UInt64, targetCookie: UInt64, end: UInt64, highWatermark: UInt64,
                targetBase: UInt64, redirectedBase: UInt64, chunked: Bool) {
        self.sourceCookie = sourceCookie
        self.targetCookie = targetCookie
        self.end = end
        self.highWatermark = highWatermark
        self.targetBase = targetBase
        self.redirectedBase = redirectedBase
        self.chunked = chunked
    }
}

/// odb_windows, keyed by source cookie. Written only by the relay, and only while no redirect
/// can happen (no window yet, or the previous one's end reached).
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
            redirected_base: window.redirectedBase, chunked: window.chunked ? 1 : 0, pad: 0))
    }

    public func delete(source cookie: UInt64) {
        map.delete(cookie)
    }
}
