import CSocketShims

/// The floor on how fast a body moves while the relay waits on the client
/// (`timeouts.min_body_rate` over `timeouts.min_body_rate_window`).
struct BodyRateFloor: Equatable {
    let bytesPerSecond: Double
    let window: Double
}

/// Watches one exchange's bodies against a `BodyRateFloor`, from samples of the client's socket.
///
/// A window counts only while the relay waits on the client in one direction. A sample that
/// finds it waiting on anything else (a slow upstream, a response not yet begun), or waiting
/// in the other direction, starts the window afresh, so an upstream's pace never counts
/// against the client.
struct TransferRate {
    let floor: BodyRateFloor
    private var window: (start: Double, bytes: UInt64, direction: ClientPace.Direction)?

    init(floor: BodyRateFloor) {
        self.floor = floor
    }

    /// True once a whole window waiting on the client moved fewer bytes than the floor asks.
    mutating func tooSlow(now: Double, _ pace: ClientPace) -> Bool {
        guard let direction = pace.waitingOn else {
            window = nil
            return false
        }
        guard let current = window, current.direction == direction else {
            window = (now, pace.clientBytes, direction)
            return false
        }
        let elapsed = now - current.start
        guard elapsed >= floor.window else { return false }
        if Double(pace.clientBytes &- current.bytes) < floor.bytesPerSecond * elapsed { return true }
        window = (now, pace.clientBytes, direction)
        return false
    }
}

/// What the client's socket says about an exchange's bodies: whether the relay waits on the
/// client, in which direction, and how many bytes the client moved in it.
struct ClientPace {
    enum Direction {
        /// The upstream took every request byte so far; more must come from the client.
        case sendingRequest
        /// Response bytes are queued for the client and wait for it to take them.
        case takingResponse
    }

    let waitingOn: Direction?
    let clientBytes: UInt64

    init(_ exchange: Exchange, client: SocketChannel) {
        var progress = odb_tcp_progress()
        guard odb_tcp_progress(client.fd, &progress) == 0 else {
            waitingOn = nil
            clientBytes = 0
            return
        }
        if !exchange.requestDone, exchange.requestBody != nil, !exchange.connecting, let upstream = exchange.upstream {
            var upstreamProgress = odb_tcp_progress()
            let upstreamCaughtUp = odb_tcp_progress(upstream.fd, &upstreamProgress) == 0
                && upstreamProgress.notsent_bytes == 0 && upstream.outbound.isEmpty
            waitingOn = upstreamCaughtUp ? .sendingRequest : nil
            clientBytes = progress.bytes_received
        } else if exchange.responseBody != nil, !exchange.responseDone {
            waitingOn = !client.outbound.isEmpty || progress.unacked_bytes > 0 ? .takingResponse : nil
            clientBytes = progress.bytes_acked
        } else {
            waitingOn = nil
            clientBytes = 0
        }
    }
}
