import CSocketShims
import Glibc

/// The socket memory a spliced body's sockets may hold, earned by the reader the body feeds.
///
/// Left to autotuning, a spliced source's receive memory grows toward `tcp_rmem`'s maximum within
/// its first milliseconds (the pipe and the target's empty send buffer take megabytes at once),
/// and the origin fills the window it advertises however slowly the client reads; the target's
/// send memory grows to `tcp_wmem`'s maximum the same way. Twenty readers at 1 MB/s held 1.8 ×
/// copying's TCP memory so (docs/PERFORMANCE.md §4). So a spliced body of known length has its
/// target's send memory, and its source's receive memory when it is longer than
/// `smallestPacedSource`, start at `initial`, and both double each time the source runs dry, once the target was sent as much
/// as its reader earned since it last earned more, while the target holds no more than a
/// `keepingUpShare` of it unsent: the flow then waits on its source, not on its reader. Unsent
/// bytes wait for the reader's receive window; bytes in flight, which a long round trip keeps
/// many of, are not the reader's doing.
/// They grow no further than autotuning would (`maxima`), which a fast reader reaches within
/// its first body.
///
/// A stream of unknown length (a tunnel, a body read until close) stays autotuned: a tunnel's
/// two directions are coupled by its application, and a WebSocket echo whose client blocks in a
/// send while its reader waits for the same lock stalled with 1 MiB on each of the relay's
/// sockets (`Tunnels.webSocketEchoCarriesLargeFramesBothWaysAtOnce`), where autotuned buffers
/// held its 8 MiB messages.
///
/// Sizes only grow: TCP never takes back window it advertised, and a smaller receive buffer
/// would drop what the sender may still send (docs/PERFORMANCE.md §3). A pooled upstream keeps
/// what it grew to. What a reader earned belongs to its connection
/// (`SocketMemory.earnedAsSpliceTarget`), so a keep-alive client's next body starts there.
enum SpliceMemory {
    /// What a new connection's reader starts with, of receive memory on the source and of send
    /// memory on the target: 20 slow readers then held 0.70-0.79 × copying's TCP memory, and fast
    /// ones within the noise of autotuning (docs/PERFORMANCE.md §4).
    static let initial = 1 << 20
    /// A target holding at most this share of the earned memory unsent when its source runs dry
    /// has a reader that keeps up.
    static let keepingUpShare = 8
    /// A body no longer than this leaves its source's receive memory to autotuning, which a fixed
    /// size stops for the socket's life: the source holds no more of the body than its length,
    /// and at 2 MiB twenty slow readers held the same with every path (docs/PERFORMANCE.md §4).
    static let smallestPacedSource: UInt64 = 2 << 20

    /// The memory autotuning grows a socket to (the third field of `net.ipv4.tcp_rmem` and
    /// `tcp_wmem`).
    struct Maxima: Equatable {
        let receive: Int
        let send: Int
    }

    /// The host's maxima, read once per process; nil when they cannot be read.
    static let autotuningMaxima: Maxima? = {
        guard let receive = Sysctl.integers("net/ipv4/tcp_rmem")?.last, let send = Sysctl.integers("net/ipv4/tcp_wmem")?.last else {
            return nil
        }
        return Maxima(receive: receive, send: send)
    }()

    /// The maxima when this process can set them (within `net.core.rmem_max` and `wmem_max`, or
    /// past them with CAP_NET_ADMIN, which a relay that switches user keeps for this), found out
    /// once per process at its first spliced body. nil otherwise: sizes capped below what
    /// autotuning gives a fast flow would slow it, so the relay leaves both sides to autotuning
    /// then (docs/OPERATIONS.md, "Capabilities").
    static let maxima: Maxima? = {
        guard let maxima = autotuningMaxima else { return nil }
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard probe >= 0 else { return nil }
        defer { close(probe) }
        let ceiling = SocketBufferCeiling.host
        let settable = ceiling.apply(probe, .receive, bytes: Int32(clamping: maxima.receive / 2))
            && ceiling.apply(probe, .send, bytes: Int32(clamping: maxima.send / 2))
        return settable ? maxima : nil
    }()

    /// Gives a body's sockets the memory its target's reader has earned, before its first byte.
    static func open(_ body: BodyTransfer) {
        guard let maxima, let remaining = body.remainingLength else { return }
        let earned = body.target.memory.earnedAsSpliceTarget
        if remaining > smallestPacedSource {
            grow(body.source, .receive, to: min(earned, maxima.receive))
        }
        grow(body.target, .send, to: min(earned, maxima.send))
    }

    /// The source had nothing more to splice: doubles what the target's reader earned when the
    /// target was sent that much since it last earned more and holds little of it unsent, so
    /// the flow waits on its source. Without the first condition a body's first dry source,
    /// before its target was sent much, would count any reader as keeping up.
    static func sourceRanDry(_ body: BodyTransfer) {
        guard let maxima, body.remainingLength != nil else { return }
        let target = body.target
        let earned = target.memory.earnedAsSpliceTarget
        guard earned < max(maxima.receive, maxima.send),
              target.queuedTotal >= target.memory.queuedWhenEarned + UInt64(earned) else { return }
        let unsent = odb_unsent_bytes(target.fd)
        guard unsent >= 0, Int(unsent) <= earned / keepingUpShare else { return }
        target.memory.earnedAsSpliceTarget = 2 * earned
        target.memory.queuedWhenEarned = target.queuedTotal
        open(body)
    }

    /// Raises a socket's memory on one side to `memory`, never lowering what the relay set. A
    /// side still autotuned is fixed at `memory`, except a receive side already larger: the
    /// window it advertised stays, so its memory does too. A send side autotuned past `memory`
    /// (a new connection's starts at twice its first window) may shrink: it promised nothing.
    ///
    /// A fixed receive memory also stops autotuning from raising the window clamp, which the
    /// window (`rcv_ssthresh`) may not pass: left where it was when the memory was fixed, it held
    /// the window of a source grown to 32 MiB at 916 KiB (`ss -ti`), and spliced 4 MiB bodies
    /// across hosts cost 10 % more machine CPU. So the clamp is raised with the memory; the free
    /// memory still bounds the window below it.
    private static func grow(_ channel: SocketChannel, _ side: SocketBufferCeiling.Direction, to memory: Int) {
        let set = channel.memory[side]
        if let set, set >= memory { return }
        let size = set == nil && side == .receive ? max(Socket.bufferMemory(channel.fd, side), memory) : memory
        channel.fixMemory(side, at: size, windowClamp: side == .receive ? size : nil)
    }
}

/// The buffer memory the relay set on one socket, and what the socket earned as a splice target.
struct SocketMemory {
    /// Receive and send memory the relay set (the doubled values the kernel enforces), which
    /// stop autotuning on that side; nil while the kernel tunes it.
    private var sizes = BySide<Int?>(nil)
    /// What its reader earned of spliced bodies sent to it (`SpliceMemory`), and the socket's
    /// `queuedTotal` when it last earned more.
    var earnedAsSpliceTarget = SpliceMemory.initial
    var queuedWhenEarned: UInt64 = 0

    subscript(side: SocketBufferCeiling.Direction) -> Int? {
        get { sizes[side] }
        set { sizes[side] = newValue }
    }
}
