/// How many bytes a redirect target may hold unacknowledged, paced by how fast its reader
/// drains them: about `horizon` seconds of its measured rate, between `floor` and the route's
/// `flow_budget` (the ceiling).
///
/// A fixed budget costs a slow reader as much memory as a fast one: a reader at 1 MB/s needs a
/// few hundred KiB in flight, yet held the whole budget on its target (tools/slow_readers.py,
/// docs/PERFORMANCE.md §7). A reader that drains the ceiling within the horizon keeps it.
/// The pace belongs to the target socket, so a keep-alive connection starts its next body at
/// the pace it ended the last one; a new connection starts at `initial`. Below the ceiling a
/// window opens in slow start (`WindowRecord.SlowStart`): the verdict grows the budget with what
/// the reader acknowledges until the reader first falls behind it, and the pace is measured
/// at that crossing's forwarded burst, or when the window completes.
struct DrainPacedBudget {
    static let horizon = 0.5
    static let floor: UInt64 = 512 << 10
    static let initial: UInt64 = 2 << 20
    /// A reading over a shorter span counts as over this one: a reader that catches up after a
    /// stall drains a burst in microseconds, which says nothing of its pace.
    static let shortestSpan = 0.05
    /// The budget is lowered only on a reading over at least this span: bytes are forwarded
    /// for other reasons than the budget too (a window's tail, a chunked window handing back),
    /// often just after a window opened, when the reader has had no time to acknowledge.
    static let spanToLower = 0.25

    private(set) var current: UInt64
    private var ceiling: UInt64
    private var acked: UInt64 = 0
    private var measuredAt = 0.0

    init(ceiling: UInt64) {
        self.ceiling = ceiling
        current = min(ceiling, Self.initial)
    }

    /// The reader drains the whole ceiling within the horizon.
    var keepsUp: Bool { current >= ceiling }

    /// A window opens with its route's budget as the ceiling; the pace carries over.
    mutating func open(ceiling: UInt64, acked: UInt64, now: Double) {
        self.ceiling = ceiling
        current = min(current, ceiling)
        self.acked = acked
        measuredAt = now
    }

    /// Sets the budget from the bytes the reader acknowledged since the last reading: raised on
    /// any reading, lowered only on a long one (the reading then goes on from the same start).
    mutating func measure(acked: UInt64, now: Double) {
        guard acked >= self.acked else { return }
        let span = now - measuredAt
        let rate = Double(acked - self.acked) / max(span, Self.shortestSpan)
        let paced = min(ceiling, max(Self.floor, UInt64(rate * Self.horizon)))
        guard paced >= current || span >= Self.spanToLower else { return }
        current = paced
        self.acked = acked
        measuredAt = now
    }
}
