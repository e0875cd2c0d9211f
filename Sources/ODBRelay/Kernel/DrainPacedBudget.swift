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
/// the reader acknowledges until the reader first falls behind it. The pace is measured at
/// each forwarded burst, and raised when the next window opens by what the reader drained
/// since.
struct DrainPacedBudget {
    static let horizon = 0.5
    static let floor: UInt64 = 512 << 10
    /// A new connection's budget: a slow reader holds about this much on its target before its
    /// first crossing (4 MiB: 20 slow readers at 1.15 × copy's memory, 2 MiB: 0.89-1.01), and
    /// slow start lets a fast one past it.
    static let initial: UInt64 = 2 << 20
    /// The pace at which a source gets its full receive memory (`KernelPath.sizeSourceBuffer`):
    /// a reader this fast would stall on the starting memory.
    static let keepingUp: UInt64 = 4 << 20
    /// A reading over a shorter span counts as over this one: a reader that catches up after a
    /// stall drains a burst in microseconds, which says nothing of its pace.
    static let shortestSpan = 0.05
    /// The budget is lowered only on a reading over at least this span: bytes are forwarded
    /// for other reasons than the budget too (a window's tail, a chunked window handing back),
    /// often just after a window opened, when the reader has had no time to acknowledge.
    static let spanToLower = 0.25

    private(set) var current: UInt64
    private var ceiling: UInt64
    /// Where the reading in progress started; nil before the first window.
    private var readingStart: (acked: UInt64, at: Double)?

    init(ceiling: UInt64) {
        self.ceiling = ceiling
        current = min(ceiling, Self.initial)
    }

    /// The reader drains `keepingUp` within the horizon, more than a source's starting memory.
    var keepsUp: Bool { current >= min(ceiling, Self.keepingUp) }

    /// A window opens with its route's budget as the ceiling, and the pace carries over. What
    /// the reader acknowledged since the last reading (a keep-alive client reads its previous
    /// body whole before it asks for the next) may raise the pace but not lower it: the time
    /// between bodies is the client's, not a measure of how fast it reads.
    mutating func open(ceiling: UInt64, acked: UInt64, now: Double) {
        self.ceiling = ceiling
        if let (paced, _) = reading(acked: acked, now: now) { current = max(current, paced) }
        current = min(current, ceiling)
        readingStart = (acked, now)
    }

    /// Sets the budget from the bytes the reader acknowledged since the last reading: raised on
    /// any reading, lowered only on a long one (the reading then goes on from the same start).
    mutating func measure(acked: UInt64, now: Double) {
        guard let (paced, span) = reading(acked: acked, now: now), paced >= current || span >= Self.spanToLower else {
            return
        }
        current = paced
        readingStart = (acked, now)
    }

    /// The budget the reading since `readingStart` calls for, and the span it covers.
    private func reading(acked: UInt64, now: Double) -> (paced: UInt64, span: Double)? {
        guard let start = readingStart, acked >= start.acked else { return nil }
        let span = now - start.at
        let rate = Double(acked - start.acked) / max(span, Self.shortestSpan)
        return (min(ceiling, max(Self.floor, UInt64(rate * Self.horizon))), span)
    }
}
