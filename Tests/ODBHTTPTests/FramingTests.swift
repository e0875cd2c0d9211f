import Testing
@testable import ODBHTTP

@Suite struct RequestFramingTests {
    @Test func noLengthFieldsMeansNoBody() {
        #expect(requestFramingOf(requestText([])) == .success(.none))
        #expect(requestFramingOf(requestText([], requestLine: "POST / HTTP/1.0", host: false)) == .success(.none))
    }

    @Test func contentLength() {
        #expect(requestFramingOf(requestText(["Content-Length: 42"])) == .success(.contentLength(42)))
        #expect(requestFramingOf(requestText(["Content-Length: 0"])) == .success(.contentLength(0)))
        #expect(requestFramingOf(requestText(["Content-Length: 007"])) == .success(.contentLength(7)))
        #expect(requestFramingOf(requestText(["Content-Length: 4611686018427387904"])) == .success(.contentLength(1 << 62)))
    }

    @Test func repeatedEqualContentLengthsAreOneLength() {
        #expect(requestFramingOf(requestText(["Content-Length: 5", "Content-Length: 5"])) == .success(.contentLength(5)))
        #expect(requestFramingOf(requestText(["Content-Length: 5, 5"])) == .success(.contentLength(5)))
        #expect(requestFramingOf(requestText(["Content-Length: 5,05"])) == .success(.contentLength(5)))
    }

    @Test func contentLengthRejections() {
        for bad in ["+5", "-5", "0x5", "5 5", "5;", "", "5,", ",5", "5,,5", "1e3", "\u{FF}5", "٥"] {
            #expect(requestFramingOf(requestText(["Content-Length: \(bad)"])) == .failure(.invalidContentLength), "\(bad.debugDescription)")
        }
        #expect(requestFramingOf(requestText(["Content-Length: 5", "Content-Length: 6"])) == .failure(.conflictingContentLength))
        #expect(requestFramingOf(requestText(["Content-Length: 5, 6"])) == .failure(.conflictingContentLength))
        #expect(requestFramingOf(requestText(["Content-Length: 4611686018427387905"])) == .failure(.contentLengthTooLarge))
        #expect(requestFramingOf(requestText(["Content-Length: 18446744073709551616"])) == .failure(.contentLengthTooLarge))
        #expect(requestFramingOf(requestText(["Content-Length: 99999999999999999999999999"])) == .failure(.contentLengthTooLarge))
    }

    @Test func chunked() {
        #expect(requestFramingOf(requestText(["Transfer-Encoding: chunked"])) == .success(.chunked))
        #expect(requestFramingOf(requestText(["Transfer-Encoding: CHUNKED"])) == .success(.chunked))
        #expect(requestFramingOf(requestText(["Transfer-Encoding: \tchunked "])) == .success(.chunked))
    }

    @Test func transferEncodingRejections() {
        #expect(requestFramingOf(requestText(["Transfer-Encoding: chunked", "Content-Length: 5"])) == .failure(.ambiguousFraming))
        #expect(requestFramingOf(requestText(["Transfer-Encoding: chunked"], requestLine: "POST / HTTP/1.0")) == .failure(.transferEncodingInHTTP10))
        #expect(requestFramingOf(requestText(["Transfer-Encoding: gzip, chunked"])) == .failure(.unsupportedTransferEncoding))
        #expect(requestFramingOf(requestText(["Transfer-Encoding: gzip", "Transfer-Encoding: chunked"])) == .failure(.unsupportedTransferEncoding))
        for bad in ["gzip", "identity", "chunked, identity", "chunked, gzip", "xchunked", "chunkedx", "chunked, chunked"] {
            #expect(requestFramingOf(requestText(["Transfer-Encoding: \(bad)"])) == .failure(.misplacedChunked), "\(bad)")
        }
        for bad in ["", ",chunked", "chunked,", "chunked,,chunked", "chunked;q=1", "\"chunked\"", "chun ked", "chunked\u{E9}"] {
            #expect(requestFramingOf(requestText(["Transfer-Encoding: \(bad)"])) == .failure(.invalidTransferEncoding), "\(bad.debugDescription)")
        }
    }

    @Test func connectHasNoContent() {
        let connect = "CONNECT example.com:443 HTTP/1.1"
        #expect(requestFramingOf(requestText([], requestLine: connect)) == .success(.none))
        #expect(requestFramingOf(requestText(["Content-Length: 0"], requestLine: connect)) == .failure(.contentNotAllowed))
        #expect(requestFramingOf(requestText(["Transfer-Encoding: chunked"], requestLine: connect)) == .failure(.contentNotAllowed))
    }
}

@Suite struct ResponseFramingTests {
    @Test func bodilessResponsesIgnoreLengthFields() {
        let fields = "Content-Length: 10\r\n"
        #expect(responseFramingOf("HTTP/1.1 200 OK\r\n\(fields)\r\n", method: "HEAD") == .success(.none))
        #expect(responseFramingOf("HTTP/1.1 204 No Content\r\n\(fields)\r\n") == .success(.none))
        #expect(responseFramingOf("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n") == .success(.none))
        #expect(responseFramingOf("HTTP/1.1 100 Continue\r\n\r\n") == .success(.none))
        #expect(responseFramingOf("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n") == .success(.none))
    }

    @Test func tunnels() {
        #expect(responseFramingOf("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n") == .success(.tunnel))
        #expect(responseFramingOf("HTTP/1.1 200 Connection Established\r\n\r\n", method: "CONNECT") == .success(.tunnel))
        #expect(responseFramingOf("HTTP/1.1 407 Auth\r\nContent-Length: 3\r\n\r\n", method: "CONNECT") == .success(.contentLength(3)))
    }

    @Test func lengthFields() {
        #expect(responseFramingOf("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n") == .success(.contentLength(12)))
        #expect(responseFramingOf("HTTP/1.1 200 OK\r\n\r\n") == .success(.untilClose))
        #expect(responseFramingOf("HTTP/1.0 200 OK\r\n\r\n") == .success(.untilClose))
        #expect(responseFramingOf("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") == .failure(.conflictingContentLength))
        #expect(responseFramingOf("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n") == .failure(.invalidContentLength))
    }

    @Test func transferCodings() {
        #expect(responseFramingOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") == .success(.chunked))
        #expect(responseFramingOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == .success(.chunked))
        #expect(responseFramingOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n") == .success(.untilClose))
        #expect(responseFramingOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n") == .success(.untilClose))
        #expect(responseFramingOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n") == .failure(.misplacedChunked))
        #expect(responseFramingOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n") == .failure(.ambiguousFraming))
        #expect(responseFramingOf("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") == .failure(.transferEncodingInHTTP10))
        #expect(responseFramingOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked,\r\n\r\n") == .failure(.invalidTransferEncoding))
    }
}
