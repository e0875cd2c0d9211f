import CSocketShims
import Logging

/// What TCP reports about a socket on which nothing moved, for the log line of an idle
/// timeout. This side's sends lost on a lossy path show as bytes still queued, a retransmission
/// timer backed off and an RTO of seconds; a peer that took everything and went silent as
/// nothing queued and no backoff. The peer's own retransmissions do not show here.
struct TCPStall: CustomStringConvertible {
    private let progress: odb_tcp_progress

    /// Nil when the socket's TCP state cannot be read.
    init?(fd: Int32) {
        var progress = odb_tcp_progress()
        guard odb_tcp_progress(fd, &progress) == 0 else { return nil }
        self.progress = progress
    }

    /// `queued`: bytes sent or waiting to be and not yet acknowledged, `unsent` of them not yet
    /// sent; milliseconds since the last ACK and the last data arrived; the timer's backoff and
    /// the RTO it gives.
    var description: String {
        "queued=\(progress.unacked_bytes) unsent=\(progress.notsent_bytes) last_ack_ms=\(progress.last_ack_ms) "
            + "last_data_ms=\(progress.last_data_ms) backoff=\(progress.backoff) rto_ms=\(progress.rto_us / 1000)"
    }

    /// Log metadata naming each socket's stall: `client_tcp`, and `upstream_tcp` when there is an
    /// upstream socket.
    static func metadata(client: SocketChannel, upstream: SocketChannel?) -> Logger.Metadata {
        var metadata: Logger.Metadata = [:]
        for (key, channel) in [("client_tcp", client), ("upstream_tcp", upstream)] {
            if let channel, let stall = TCPStall(fd: channel.fd) { metadata[key] = "\(stall)" }
        }
        return metadata
    }
}
