import CAllocationCounter
import ODBHTTP
import Testing
@testable import ODBRelay

/// What the receiving side makes of a peer's descriptor response and of the holder's claim answer.
@Suite struct PeerClaimTests {
    static let token = "0123456789abcdef0123456789abcdef"

    static func head(_ text: String) throws -> ResponseHead {
        guard case let .complete(head, _) = ResponseHead.parse(Array(text.utf8)) else { throw HeadUnreadable() }
        return head
    }

    struct HeadUnreadable: Error {}

    static func descriptorHead(_ framing: String, extra: String = "") throws -> ResponseHead {
        try head("HTTP/1.1 200 OK\r\nX-Kept: yes\r\nContent-Length: 0\r\nODB-Payload: v=1; holder=h; token=\(token); framing=\(framing)\r\n\(extra)\r\n")
    }

    static func claim(_ framing: String) throws -> PeerClaim {
        let response = try DescriptorResponse(try descriptorHead(framing), requestMethod: "GET")
        return PeerClaim(descriptor: response.descriptor, descriptorHead: response.head, receivedAt: 0)
    }

    @Test func passOnOnlyAsAnIntermediateForAPeer() {
        #expect(DescriptorDisposition(role: .intermediate, fromPeer: true) == .passOn)
        #expect(DescriptorDisposition(role: .intermediate, fromPeer: false) == .claim(fault: false))
        #expect(DescriptorDisposition(role: .edge, fromPeer: true) == .claim(fault: true))
        #expect(DescriptorDisposition(role: .edge, fromPeer: false) == .claim(fault: false))
    }

    @Test func aDescriptorResponseIsAnEmptyContentLengthHop() throws {
        #expect(try DescriptorResponse(try Self.descriptorHead("length; length=5"), requestMethod: "GET").descriptor.framing == .length(5))
        let cases: [(ResponseHead, String, DescriptorError)] = [
            (try Self.descriptorHead("chunked", extra: "ODB-Payload: v=1\r\n"), "GET", .repeated),
            (try Self.head("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nODB-Payload: v=1; holder=h; token=\(Self.token); framing=chunked\r\n\r\n"),
             "GET", .hopNotEmpty),
            (try Self.head("HTTP/1.1 200 OK\r\nODB-Payload: v=1; holder=h; token=\(Self.token); framing=chunked\r\n\r\n"), "GET", .hopNotEmpty),
            (try Self.descriptorHead("chunked"), "HEAD", .hopNotEmpty),
            (try Self.head("HTTP/1.1 204 No Content\r\nODB-Payload: v=1; holder=h; token=\(Self.token); framing=chunked\r\n\r\n"), "GET", .hopNotEmpty),
            (try Self.descriptorHead("gzip"), "GET", .unparsable(.malformed("framing=gzip"))),
        ]
        for (head, method, expected) in cases {
            #expect(throws: expected) { try DescriptorResponse(head, requestMethod: method) }
        }
    }

    @Test func theClientGetsTheDescriptorHeadWithTheAnswersFraming() throws {
        let length = try Self.claim("length; length=7").clientResponse(answer: try Self.head("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n"))
        #expect(length.framing == .contentLength(7))
        #expect(length.head.headers.values(for: "Content-Length") == ["7"])
        #expect(length.head.headers.value(for: "X-Kept") == "yes" && !length.head.headers.contains("ODB-Payload"))

        let chunked = try Self.claim("chunked").clientResponse(answer: try Self.head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"))
        #expect(chunked.framing == .chunked && chunked.head.headers.value(for: "Transfer-Encoding") == "chunked")
        #expect(!chunked.head.headers.contains("Content-Length"))

        let close = try Self.claim("close").clientResponse(answer: try Self.head("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"))
        #expect(close.framing == .untilClose)
        #expect(!close.head.headers.contains("Content-Length") && !close.head.headers.contains("Transfer-Encoding"))
    }

    @Test func anAnswerOtherThanTheAnnounced200Fails() throws {
        let claim = try Self.claim("length; length=7")
        #expect(throws: ClaimFailure.refused(status: 404)) {
            try claim.clientResponse(answer: try Self.head("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))
        }
        #expect(throws: ClaimFailure.framingMismatch(announced: .length(7), answered: .contentLength(8))) {
            try claim.clientResponse(answer: try Self.head("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n"))
        }
        #expect(throws: ClaimFailure.framingMismatch(announced: .length(7), answered: .chunked)) {
            try claim.clientResponse(answer: try Self.head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"))
        }
    }

    @Test func theClaimNamesTheTokenTheHolderAndTheSecret() throws {
        let request = String(decoding: try Self.claim("chunked").request(secret: "s3cret-s3cret-s3cret"), as: UTF8.self)
        #expect(request == "GET /odb/v1/payload/\(Self.token) HTTP/1.1\r\nHost: h\r\nODB-Peer: s3cret-s3cret-s3cret\r\n\r\n")
    }

    /// An edge builds one claim request per payload it delivers: the bytes go into one array,
    /// with no String for the token, the target or the request on the way.
    @Test func aClaimRequestIsOneAllocation() throws {
        let claim = try Self.claim("chunked")
        let secret = "s3cret-s3cret-s3cret"
        let requests = 1_000
        _ = claim.request(secret: secret)
        allocation_counter_start()
        for _ in 0..<requests {
            _ = claim.request(secret: secret)
        }
        let allocations = allocation_counter_stop()
        #expect(allocations == UInt(requests), "\(allocations) allocations in \(requests) claim requests")
    }
}
