/// The connection preface of HTTP/2 with prior knowledge (RFC 9113 §3.4): a protocol the relay
/// does not parse, which it can still carry as an opaque byte stream.
public enum HTTP2Preface {
    public static let bytes = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    public enum Match: Equatable, Sendable {
        /// The bytes begin with the whole preface.
        case complete
        /// The bytes so far are the preface's beginning; more must arrive to tell.
        case partial
        case none
    }

    public static func match(_ received: UnsafeRawBufferPointer) -> Match {
        let compared = min(received.count, bytes.count)
        guard received.prefix(compared).elementsEqual(bytes.prefix(compared)) else { return .none }
        return compared == bytes.count ? .complete : .partial
    }

    /// Stands for the preface where a request head is expected (logs, the exchange's record).
    public static let head = RequestHead(method: "PRI", target: .asterisk, version: .http2_0, headers: HTTPHeaders())
}
