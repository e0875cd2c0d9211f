import ODBConfig

/// How large a kernel window's target send buffer is: a share of `limits.kernel_send_buffer`
/// among the windows its worker has open.
///
/// The psock backlog that sends redirected skbs waits for write space (and retries a jiffy
/// later) when the target's send buffer is full, so one fast stream wants a large buffer (with
/// 1 MiB a single 64 MiB stream made half its rate); but many streams each with one that large
/// let the backlog run far ahead of the readers: 8 connections of 16 MiB bodies cost the
/// machine 26-30 % less with the share than with the route's budget, 32 MiB in the kernel
/// (docs/PERFORMANCE.md §12, §13). So a window alone gets the whole share, and several split
/// it, each at least `floor`.
public struct TargetSendBuffer: Sendable {
    /// The least a window's target gets however many share the buffer.
    static let floor = 1 << 20
    /// What the windows of one worker share (SO_SNDBUF; the kernel doubles it).
    let share: Int

    public init(_ limits: Limits) {
        share = limits.kernelSendBuffer
    }

    /// SO_SNDBUF for the target of a window whose route allows `budget` in flight, while
    /// `othersOpen` other windows of its worker are open.
    func size(budget: Int, othersOpen: Int) -> Int {
        min(budget, max(Self.floor, share / (othersOpen + 1)))
    }

    /// The largest size it sets for windows of a route with `budget`: what a window alone gets.
    func largest(budget: Int) -> Int {
        size(budget: budget, othersOpen: 0)
    }
}
