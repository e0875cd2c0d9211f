import ODBHTTP

/// What a parser made of a message head: refused, still waiting, or accepted with a body
/// delimited a certain way.
enum Verdict: Equatable, CustomStringConvertible {
    case rejected
    case incomplete
    case accepted(BodyExtent)

    /// How far the body reaches, as llhttp can be observed to delimit it (see `LLHTTPParser`).
    enum BodyExtent: Equatable {
        /// Nothing: the next bytes are the next message, or another protocol after an upgrade.
        case empty
        case length(Int)
        case chunked
        /// The whole probe and still not ended: a declared length longer than the probe.
        case beyondProbe
        case untilClose
    }

    var description: String {
        switch self {
        case .rejected: return "rejected"
        case .incomplete: return "incomplete"
        case let .accepted(extent): return "accepted(\(extent))"
        }
    }

    /// What the relay makes of the head at the start of `bytes`, from ODBHTTP.
    struct Reading {
        let verdict: Verdict
        /// The head's length, when accepted.
        let headLength: Int
        /// The head the relay would send on (ProxyHeaderRewrite), when accepted.
        let forwarded: [UInt8]
    }

    static let rewrite = ProxyHeaderRewrite(pseudonym: "odb-redirect")

    static func odb(_ bytes: [UInt8], isRequest: Bool, probeLength: Int) -> Reading {
        let framing: Result<BodyFraming, HTTPParseError>
        let headLength: Int
        let forwarded: [UInt8]
        if isRequest {
            switch RequestHead.parse(bytes) {
            case .needMore: return Reading(verdict: .incomplete, headLength: 0, forwarded: [])
            case .invalid: return Reading(verdict: .rejected, headLength: 0, forwarded: [])
            case let .complete(head, length):
                (framing, headLength) = (requestFraming(head), length)
                let upgrade = head.headers.contains("Upgrade")
                forwarded = rewrite.request(head, clientAddress: "192.0.2.1", forwardingUpgrade: upgrade).serialize()
            }
        } else {
            switch ResponseHead.parse(bytes) {
            case .needMore: return Reading(verdict: .incomplete, headLength: 0, forwarded: [])
            case .invalid: return Reading(verdict: .rejected, headLength: 0, forwarded: [])
            case let .complete(head, length):
                (framing, headLength) = (responseFraming(head, requestMethod: "GET"), length)
                forwarded = rewrite.response(head, forwardingUpgrade: head.status == 101).serialize()
            }
        }
        let verdict: Verdict
        switch framing {
        case .failure: verdict = .rejected
        case .success(.none), .success(.tunnel), .success(.contentLength(0)): verdict = .accepted(.empty)
        case let .success(.contentLength(length)):
            verdict = .accepted(length > UInt64(probeLength) ? .beyondProbe : .length(Int(length)))
        case .success(.chunked): verdict = .accepted(.chunked)
        case .success(.untilClose): verdict = .accepted(.untilClose)
        }
        return Reading(verdict: verdict, headLength: headLength, forwarded: verdict == .rejected ? [] : forwarded)
    }
}
