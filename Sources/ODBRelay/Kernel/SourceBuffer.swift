/// The receive memory a source gets while it is in the verdict map, and the window it may
/// advertise (`TCP_WINDOW_CLAMP`); `KernelPath.sizeSourceBuffer` sets them. The kernel doubles
/// a set value, so `memory` is passed halved.
///
/// A redirected skb stays charged to the source until the target's backlog worker has sent
/// it, and its freeing sends no window update. With memory only as large as the window
/// (2 MiB of both), the backlog shrinks the window offered below one segment, now and then
/// forces a prune, and the sender sits out a 200 ms zero-window probe (4 MiB bodies, one
/// connection: 5-20 req/s where copying made 500; docs/PERFORMANCE.md §1a). So the memory is
/// a multiple of the window.
///
/// The memory must stay small all the same: once passed bytes fill it, the window closes,
/// user space forwards all of them in one burst and the verdict redirects again; with room
/// for more the sender would refill it as fast as they are forwarded, and the flow would
/// stay in user space (measured with 16 MiB).
struct SourceBuffer: Equatable {
    let memory: Int
    let window: Int

    /// Before its reader showed it keeps up: all a slow reader's source holds
    /// (tools/slow_readers.py). A source grows out of it once its target's reader drains 4 MiB
    /// within the pace horizon (`DrainPacedBudget.keepsUp`) or a window completes while the
    /// verdict still grew its budget.
    static let starting = SourceBuffer(memory: 2 << 20, window: 512 << 10)

    /// The most a window's source is given. A source that joins the verdict map for each body
    /// (an upstream) gets twice the standard memory, for the same window, for a body of declared
    /// length more than 2 MiB and up to 8 MiB, and at once, whatever its reader's pace. What it
    /// sends before the join, while the relay reads the head, waits in its queue, and a fast
    /// sender fills 4 MiB of it within milliseconds (2 MiB at the starting size); the join hands
    /// those bytes to the target's backlog, whose freeing announces no room, so 4 MiB bodies
    /// across hosts left the window closed until the sender's zero-window probe, 200 ms and more
    /// (docs/PERFORMANCE.md §11, "Across hosts too"). A shorter body cannot fill the standard
    /// memory, and none of these can hold more than its length: with 20 readers of 4 MiB bodies
    /// at 1 MB/s the relay's sockets held 3.4 MiB per flow, where copying held 3.5.
    ///
    /// Every other source gets the standard memory once its reader keeps up. A longer body would
    /// pass more before the window closed (64 MiB bodies at 8 connections moved 42-52 % of their
    /// bytes in the kernel with 8 MiB, 53-63 % with 4). A source that stays in the map between
    /// its windows, a client sending uploads or a chunked stream between chunks, has what arrives
    /// between them passed to user space and read there, which announces the room; a larger
    /// memory only lets more of it be passed (a 4 MiB upload after a short one on the same
    /// connection went through user space whole).
    static func full(declaredLength: UInt64?, joinsPerBody: Bool) -> SourceBuffer {
        guard joinsPerBody, let declaredLength, declaredLength > UInt64(standard.memory / 2),
              declaredLength <= UInt64(roomy.memory) else { return standard }
        return roomy
    }

    /// A source starts at `starting` and waits for its reader's pace before it gets this.
    var waitsForThePace: Bool { self != Self.roomy }

    /// The memory a source goes back to when it leaves the map, nil to keep what it has. The
    /// larger memory is for one body's join: a pooled upstream's next body starts from the
    /// standard memory and grows again only if it is more than 2 MiB and up to 8 MiB, where a
    /// longer one on it would otherwise keep the larger memory (four readers of 1-64 MiB bodies in
    /// turn moved 56-76 % of their bytes in the kernel so, 76-92 % with 4 MiB throughout).
    /// Shrinking is safe only while the peer is silent, which leaving the map requires.
    static func afterLeaving(_ memory: Int?) -> SourceBuffer? {
        memory == roomy.memory ? standard : nil
    }

    private static let standard = SourceBuffer(memory: 4 << 20, window: 1 << 20)
    private static let roomy = SourceBuffer(memory: 8 << 20, window: 1 << 20)

    /// The most any source is given.
    static let largest = roomy
}
