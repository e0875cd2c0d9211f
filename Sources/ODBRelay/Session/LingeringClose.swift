/// The end of a connection after its last answer: the write side is shut down, and what the
/// client still sends is read and dropped until it closes, a deadline passes or enough was
/// dropped. Closing with unread bytes in the socket sends a reset, which can discard the answer
/// before the client has read it (a 400 to a request whose body was never read, say).
struct LingeringClose: Equatable {
    /// The longest a connection lingers, and the most it reads meanwhile.
    static let seconds = 2.0
    static let maxDiscarded = 1 << 20

    let until: Double
    private(set) var discarded = 0

    init(now: Double) {
        until = now + Self.seconds
    }

    /// Drops what the client sent. True when the connection may close now.
    mutating func discard(from client: SocketChannel) -> Bool {
        while true {
            discarded += client.inbound.count
            client.inbound.consume(client.inbound.count)
            guard discarded < Self.maxDiscarded else { return true }
            switch client.fill() {
            case .bytes:
                continue
            case .wouldBlock:
                client.wantRead = true
                return false
            case .endOfStream, .failed:
                return true
            }
        }
    }
}
