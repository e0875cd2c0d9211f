import Testing
@testable import ODBHTTP

@Suite struct ProxyHeaderRewriteTests {
    let rewrite = ProxyHeaderRewrite(pseudonym: "odb")

    @Test func removesHopByHopAndConnectionNamedFields() throws {
        let head = try requestHead(requestText([
            "Connection: keep-alive, X-Secret", "Keep-Alive: timeout=5", "Proxy-Connection: keep-alive",
            "TE: trailers", "Upgrade: websocket", "x-secret: 1", "Trailer: X-Checksum",
            "Proxy-Authorization: Basic Zm9v", "Accept: */*",
        ]))
        let names = rewrite.request(head, clientAddress: "192.0.2.7").headers.map(\.name)
        #expect(names == ["Host", "Trailer", "Proxy-Authorization", "Accept", "Via", "X-Forwarded-For", "X-Forwarded-Proto"])
    }

    /// A head nothing else holds is edited in place, where dropping fields moves the others
    /// over the Connection lines that name them; fields before, between and after those lines
    /// go all the same.
    @Test func fieldsNamedInConnectionGoWhenTheHeadIsEditedInPlace() throws {
        let head = try requestHead(requestText([
            "X-A: 1", "Connection: X-A", "X-B: 2", "Connection: x-b, X-C", "X-C: 3", "X-D: 4", "Accept: */*",
        ]))
        let names = rewrite.request(consume head, clientAddress: "192.0.2.7").headers.map(\.name)
        #expect(names == ["Host", "X-D", "Accept", "Via", "X-Forwarded-For", "X-Forwarded-Proto"])
        let response = try responseHead("HTTP/1.1 200 OK\r\nX-Hop: 1\r\nConnection: keep-alive, X-Hop\r\nContent-Length: 2\r\n\r\n")
        #expect(rewrite.response(consume response).headers.map(\.name) == ["Content-Length", "Via"])
    }

    @Test func framingAndHostSurviveBeingNamedInConnection() throws {
        let head = try requestHead(requestText(["Connection: Content-Length, Transfer-Encoding, Host", "Content-Length: 3"]))
        let out = rewrite.request(head, clientAddress: "192.0.2.7").headers
        #expect(out.values(for: "Content-Length") == ["3"])
        #expect(out.values(for: "Host") == ["example.com"])
        #expect(!out.contains("Connection"))
    }

    @Test func keepsTransferEncodingForForwardedChunks() throws {
        let head = try requestHead(requestText(["Transfer-Encoding: chunked"]))
        #expect(rewrite.request(head, clientAddress: "a").headers.values(for: "Transfer-Encoding") == ["chunked"])
    }

    @Test func collapsesRepeatedContentLength() throws {
        let head = try requestHead(requestText(["Content-Length: 5", "X: y", "Content-Length: 05, 5"]))
        let out = rewrite.request(head, clientAddress: "a").headers
        #expect(out.values(for: "Content-Length") == ["5"])
        #expect(out.map(\.name).prefix(3) == ["Host", "Content-Length", "X"])
    }

    @Test func addsViaAndForwardingFields() throws {
        let fresh = try requestHead(requestText([], requestLine: "GET / HTTP/1.0"))
        let out = rewrite.request(fresh, clientAddress: "2001:db8::1").headers
        #expect(out.values(for: "Via") == ["1.0 odb"])
        #expect(out.values(for: "X-Forwarded-For") == ["2001:db8::1"])
        #expect(out.values(for: "X-Forwarded-Proto") == ["http"])

        let forwarded = try requestHead(requestText(["Via: 1.1 edge", "X-Forwarded-For: 198.51.100.1", "X-Forwarded-Proto: https"]))
        let again = rewrite.request(forwarded, clientAddress: "192.0.2.7", trustForwarded: true).headers
        #expect(again.values(for: "Via") == ["1.1 edge, 1.1 odb"])
        #expect(again.values(for: "X-Forwarded-For") == ["198.51.100.1, 192.0.2.7"])
        #expect(again.values(for: "X-Forwarded-Proto") == ["https"])
    }

    @Test func anEdgeStartsTheForwardingFieldsAfresh() throws {
        let forged = try requestHead(requestText([
            "X-Forwarded-For: 10.0.0.1", "x-forwarded-for: 10.0.0.2", "X-Forwarded-Proto: https",
        ]))
        let out = rewrite.request(forged, clientAddress: "192.0.2.7").headers
        #expect(out.values(for: "X-Forwarded-For") == ["192.0.2.7"])
        #expect(out.values(for: "X-Forwarded-Proto") == ["http"])
    }

    @Test func absoluteFormBecomesOriginFormWithMatchingHost() throws {
        let head = try requestHead("GET http://Origin.example:8080/a?b HTTP/1.1\r\nAccept: x\r\nHost: ignored.example\r\n\r\n")
        let out = rewrite.request(head, clientAddress: "a")
        #expect(out.target == .origin("/a?b"))
        #expect(out.headers.values(for: "Host") == ["Origin.example:8080"])
        #expect(out.headers.map(\.name).prefix(2) == ["Accept", "Host"])
        #expect(out.serialize().starts(with: Array("GET /a?b HTTP/1.1\r\n".utf8)))

        let bare = try requestHead("OPTIONS http://a.example HTTP/1.0\r\n\r\n")
        let bareOut = rewrite.request(bare, clientAddress: "a")
        #expect(bareOut.target == .origin("/"))
        #expect(bareOut.headers.values(for: "host") == ["a.example"])
    }

    @Test func upgradeIsKeptOnlyWhenForwarded() throws {
        let head = try requestHead(requestText(["Connection: Upgrade", "Upgrade: websocket"]))
        let dropped = rewrite.request(head, clientAddress: "a").headers
        #expect(!dropped.contains("Upgrade"))
        #expect(!dropped.contains("Connection"))
        let kept = rewrite.request(head, clientAddress: "a", forwardingUpgrade: true).headers
        #expect(kept.values(for: "Upgrade") == ["websocket"])
        #expect(kept.values(for: "Connection") == ["upgrade"])

        let switching = try responseHead("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n")
        let response = rewrite.response(switching, forwardingUpgrade: true).headers
        #expect(response.values(for: "Upgrade") == ["websocket"])
        #expect(response.values(for: "Connection") == ["upgrade"])
    }

    @Test func responseRewrite() throws {
        let head = try responseHead("HTTP/1.1 200 OK\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: x\r\nContent-Length: 2\r\nVia: 1.0 origin-cache\r\n\r\n")
        let out = rewrite.response(head)
        #expect(out.headers.map(\.name) == ["Content-Length", "Via"])
        #expect(out.headers.values(for: "Via") == ["1.0 origin-cache, 1.1 odb"])
        #expect(!out.headers.contains("X-Forwarded-For"))
        #expect(out.status == 200 && out.reason == "OK")
    }
}
