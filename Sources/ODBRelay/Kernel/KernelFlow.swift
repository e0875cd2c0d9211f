import ODBKernel

/// A socket in the verdict map (odb_sources) with its flow record (`odb_flow`) as last read:
/// how far its stream has got.
///
/// Stream offsets count from the moment it joined: what user space read since then plus what
/// the verdict redirected is exactly the offset of the next byte user space will read.
final class KernelFlow {
    let channel: SocketChannel
    let cookie: UInt64
    /// `channel.bytesRead` when the socket joined the verdict map.
    let readBase: UInt64
    /// From the flow record, as last read.
    var redirected: UInt64 = 0
    var handled: UInt64 = 0
    /// The open window, if any; windows of one flow follow each other, never overlap. Set
    /// only by `KernelPath`, which counts the open ones.
    var window: KernelWindow?

    init(channel: SocketChannel, cookie: UInt64) {
        self.channel = channel
        self.cookie = cookie
        readBase = channel.bytesRead
    }

    func take(_ record: FlowRecord) {
        redirected = record.redirected
        handled = record.handled
    }

    /// Offset of the next byte user space reads.
    var position: UInt64 { channel.bytesRead - readBase + redirected }
    /// Bytes the verdict passed that user space has not read yet.
    var unread: UInt64 { handled > position ? handled - position : 0 }
}

/// What the kernel path knows of a relay socket it has used: its cookie, the key of every BPF
/// map, and whether it is in the target map. Kept on the kernel side, so a `SocketChannel` is
/// a plain socket.
final class KernelSocket {
    /// Strong, not weak: a weak reference would give every relay socket the kernel path used a
    /// side table, and each retain and release of it would take the runtime's slow path. An
    /// entry whose channel closed without `KernelPath.forget` is pruned by `isClosed`.
    let channel: SocketChannel
    let cookie: UInt64
    var inTargetMap = false
    /// Whether its flow and window records are in odb_flows and odb_windows: from its first
    /// join until it closes (`KernelPath.forget`).
    var hasSourceRecords = false
    /// As a redirect target: how fast its reader drains what it holds.
    var pace: DrainPacedBudget?
    /// Its TCP maximum segment size, read when it first becomes a target: a connection's route
    /// to its peer, and so its segment size, stays.
    private(set) lazy var segmentSize: Int32? = Socket.maximumSegmentSize(channel.fd)

    init(channel: SocketChannel) {
        self.channel = channel
        cookie = Socket.cookie(channel.fd)
    }
}
