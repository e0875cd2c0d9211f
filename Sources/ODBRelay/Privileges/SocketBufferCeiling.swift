import Glibc
import ODBConfig

/// The host's ceilings on the socket buffer sizes a process may set (`net.core.rmem_max`,
/// `net.core.wmem_max`), and how the kernel path sets a size against them.
///
/// Up to a ceiling, plain `SO_RCVBUF`/`SO_SNDBUF` set exactly what `SO_RCVBUFFORCE`/
/// `SO_SNDBUFFORCE` would, and need no capability; only a size past it needs a forced option and
/// so `CAP_NET_ADMIN`. A relay whose kernel-path sizes all fit gives that capability up after
/// setup (docs/OPERATIONS.md, "Capabilities").
///
/// `host` reads both sysctls once per process, when first used: at start in a relay with a
/// configured `user` (it decides which capabilities to keep), else at the first flow that sets a
/// size. Every later decision compares with those values: whether the
/// relay keeps `CAP_NET_ADMIN`, whether `apply` tries a forced option, and whether a reload
/// warns that send buffers stay capped. An operator who raises the maxima must restart the
/// relay for them to take effect there: until then a relay that kept `CAP_NET_ADMIN` keeps it,
/// and one that gave it up still warns by the old maxima (although the kernel, which caps a
/// plain option at the current maximum, already grants the size).
struct SocketBufferCeiling: Sendable, CustomStringConvertible {
    let receive: Int
    let send: Int

    enum Direction {
        case receive, send

        /// The option that sets this side's buffer, within the ceiling.
        var option: Int32 {
            switch self {
            case .receive: SO_RCVBUF
            case .send: SO_SNDBUF
            }
        }

        /// The option that sets it past the ceiling, with `CAP_NET_ADMIN`.
        var forcedOption: Int32 {
            switch self {
            case .receive: SO_RCVBUFFORCE
            case .send: SO_SNDBUFFORCE
            }
        }
    }

    /// The largest sizes the relay sets on its sockets (half the memory; the kernel doubles the
    /// value): the kernel path's source receive memory and the largest target send buffer a
    /// kernel route's window gets, and a spliced body's up to the autotuning maxima
    /// (`SpliceMemory`) where a route splices.
    struct Needs: Equatable, CustomStringConvertible {
        let receive: Int
        let send: Int

        init(_ config: RelayConfig) {
            let routes = config.listeners.flatMap(\.routes)
            let largestBudget = routes.filter(\.mode.usesKernel).map(\.flowBudget).max()
            let kernelReceive = largestBudget == nil ? 0 : SourceBuffer.largest.memory / 2
            let kernelSend = largestBudget.map(TargetSendBuffer(config.limits).largest) ?? 0
            let splices = routes.contains { $0.mode == .splice || $0.mode == .auto }
            let splice = splices ? SpliceMemory.autotuningMaxima : nil
            receive = max(kernelReceive, (splice?.receive ?? 0) / 2)
            send = max(kernelSend, (splice?.send ?? 0) / 2)
        }

        var description: String { "SO_RCVBUF \(receive) B, SO_SNDBUF \(send) B" }
    }

    /// The ceilings of the host this process runs on.
    /// A setting that cannot be read counts as 0, so every size counts as past it.
    static let host = SocketBufferCeiling(
        receive: Sysctl.integers("net/core/rmem_max")?.first ?? 0, send: Sysctl.integers("net/core/wmem_max")?.first ?? 0)

    /// True when plain options set every size the kernel path needs.
    func fits(_ needs: Needs) -> Bool {
        needs.receive <= receive && needs.send <= send
    }

    var description: String { "net.core.rmem_max \(receive) B, net.core.wmem_max \(send) B" }

    /// Sets a socket's buffer size: a plain option within the ceiling, a forced one past it.
    /// A forced option refused (the relay gave `CAP_NET_ADMIN` up, and a reload raised a
    /// target send buffer past the ceiling) falls back to the plain one, which the kernel caps.
    /// - Returns: false when the size was capped at the ceiling.
    @discardableResult
    func apply(_ fd: Int32, _ direction: Direction, bytes: Int32) -> Bool {
        let ceiling = switch direction {
        case .receive: receive
        case .send: send
        }
        if Int(bytes) > ceiling && Socket.setOption(fd, SOL_SOCKET, direction.forcedOption, bytes) { return true }
        Socket.setOption(fd, SOL_SOCKET, direction.option, bytes)
        return Int(bytes) <= ceiling
    }
}
