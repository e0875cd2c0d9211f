import ODBConfig
import ODBHTTP

/// Why a peer's descriptor response cannot be used; the client is answered 502, as for any
/// upstream error.
enum DescriptorError: Error, Equatable, CustomStringConvertible {
    case unparsable(PayloadDescriptor.ParseError)
    /// More than one `ODB-Payload` field: which one is meant cannot be told.
    case repeated
    /// The hop is not framed `Content-Length: 0` (or has no body at all, as for HEAD, 1xx,
    /// 204 and 304, which carry no payload).
    case hopNotEmpty

    var description: String {
        switch self {
        case let .unparsable(error): return "invalid ODB-Payload: \(error)"
        case .repeated: return "more than one ODB-Payload field"
        case .hopNotEmpty: return "a descriptor response must be framed Content-Length: 0"
        }
    }
}

/// What this relay does with a descriptor its peer upstream answered (docs/DESIGN.md, "Roles
/// and configuration").
enum DescriptorDisposition: Equatable {
    /// Passed on to the peer downstream, head only: this relay carries no body byte.
    case passOn
    /// Claimed here from its holder; `fault` when the downstream is a peer that would have
    /// taken the descriptor, but the route needs the bytes.
    case claim(fault: Bool)

    /// For a route whose role sends to a peer (`intermediate` or `edge`).
    init(role: VirtualPayloadRole, fromPeer: Bool) {
        switch (role, fromPeer) {
        case (.intermediate, true): self = .passOn
        case (.edge, _): self = .claim(fault: fromPeer)
        default:
            // An intermediate whose client is not a peer is that client's edge.
            self = .claim(fault: false)
        }
    }
}

/// A descriptor response from a peer: the descriptor, checked together with the hop's framing.
struct DescriptorResponse {
    let descriptor: PayloadDescriptor
    let head: ResponseHead

    init(_ head: ResponseHead, requestMethod: String) throws(DescriptorError) {
        let values = head.headers.values(for: VirtualPayload.payloadHeader)
        guard values.count == 1 else { throw .repeated }
        guard case .success(.contentLength(0)) = responseFraming(head, requestMethod: requestMethod) else { throw .hopNotEmpty }
        do {
            descriptor = try PayloadDescriptor(headerValue: values[0])
        } catch {
            throw .unparsable(error)
        }
        self.head = head
    }
}
