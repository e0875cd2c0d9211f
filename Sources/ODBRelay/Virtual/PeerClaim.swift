import ODBHTTP

/// Why a claim gave no body to deliver; the client is answered 502 (docs/DESIGN.md, "Failure").
enum ClaimFailure: Error, Equatable, CustomStringConvertible {
    /// The descriptor names a holder `odb.peers` does not: nothing is connected to.
    case unknownHolder(String)
    /// The descriptor arrived before the request's body had all gone upstream, so that body
    /// has nowhere left to go.
    case requestUnfinished
    /// The holder answered something other than 200 (404: unknown, expired or claimed token).
    case refused(status: Int)
    /// The answer's framing is unreadable.
    case invalidFraming(HTTPParseError)
    /// The answer's framing is not the one the descriptor announced.
    case framingMismatch(announced: PayloadFraming, answered: BodyFraming)

    var description: String {
        switch self {
        case let .unknownHolder(name): return "the descriptor names holder \"\(name)\", which odb.peers does not"
        case .requestUnfinished: return "a descriptor arrived before the request body was sent"
        case let .refused(status): return "the holder answered the claim with \(status)"
        case let .invalidFraming(error): return "the claim answer's framing is invalid: \(error)"
        case let .framingMismatch(announced, answered):
            return "the claim answer's framing (\(Self.text(PayloadFraming(answered)))) is not the descriptor's (\(Self.text(announced)))"
        }
    }

    /// A framing as a message would show it; nil is a message without a body to hold.
    private static func text(_ framing: PayloadFraming?) -> String {
        switch framing {
        case let .length(length)?: return "Content-Length: \(length)"
        case .chunked?: return "chunked"
        case .close?: return "until close"
        case nil: return "no body"
        }
    }
}

/// One payload this relay claims from its holder: the descriptor response it replaces, and
/// when the descriptor arrived (the start of the claim's latency).
struct PeerClaim {
    let descriptor: PayloadDescriptor
    /// The hop's descriptor response, whose status and fields the client gets.
    let descriptorHead: ResponseHead
    let receivedAt: Double

    /// `GET /odb/v1/payload/<token>` to the holder, proving this relay a peer.
    /// Built as bytes into one array: an edge makes one per payload it delivers.
    func request(secret: String) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(96 + descriptor.holder.utf8.count + secret.utf8.count)
        bytes.append(contentsOf: "GET ".utf8)
        bytes.append(contentsOf: VirtualPayload.claimPathPrefix.utf8)
        descriptor.token.appendHex(to: &bytes)
        bytes.append(contentsOf: " HTTP/1.1\r\nHost: ".utf8)
        bytes.append(contentsOf: descriptor.holder.utf8)
        bytes.append(contentsOf: "\r\n".utf8)
        bytes.append(contentsOf: VirtualPayload.peerHeader.utf8)
        bytes.append(contentsOf: ": ".utf8)
        bytes.append(contentsOf: secret.utf8)
        bytes.append(contentsOf: "\r\n\r\n".utf8)
        return bytes
    }

    /// The response the client gets for the holder's `answer`: the descriptor response's head
    /// with the descriptor and the hop's `Content-Length: 0` replaced by the answer's framing.
    func clientResponse(answer: ResponseHead) throws(ClaimFailure) -> (head: ResponseHead, framing: BodyFraming) {
        guard answer.status == 200 else { throw .refused(status: answer.status) }
        let framing: BodyFraming
        switch responseFraming(answer, requestMethod: "GET") {
        case let .success(value): framing = value
        case let .failure(error): throw .invalidFraming(error)
        }
        var head = descriptorHead
        VirtualPayload.strip(&head.headers)
        head.headers.remove(named: "Content-Length")
        head.headers.remove(named: "Transfer-Encoding")
        switch (descriptor.framing, framing) {
        case let (.length(announced), .contentLength(answered)) where announced == answered:
            head.headers.append(name: "Content-Length", value: String(answered))
        case (.chunked, .chunked):
            head.headers.append(name: "Transfer-Encoding", value: "chunked")
        case (.close, .untilClose):
            break
        default:
            throw .framingMismatch(announced: descriptor.framing, answered: framing)
        }
        return (head, framing)
    }
}
