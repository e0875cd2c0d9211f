@testable import ODBBench
import ODBHTTP
import ODBTestSupport
import Testing

/// The built-in origin reads uploads of pattern bytes (`POST …/upload`) and says how many
/// arrived or where they first went wrong: a real `odb-redirect origin` process and real sockets.
@Suite(.serialized) struct OriginUploadTests {
    static func post(_ body: [UInt8], chunks: [Int]? = nil, path: String = "/upload") -> [UInt8] {
        guard let chunks else {
            return Array("POST \(path) HTTP/1.1\r\nHost: test\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
        }
        var message = Array("POST \(path) HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        var offset = 0
        for size in chunks {
            message += Array("\(String(size, radix: 16));ext=1\r\n".utf8) + body[offset..<(offset + size)] + Array("\r\n".utf8)
            offset += size
        }
        return message + Array("0\r\nTrailer-Field: x\r\n\r\n".utf8)
    }

    @Test func uploadsOfThePatternAreCountedAndKeepTheConnection() throws {
        let origin = try BuiltinHolder()
        let client = try TestHTTPClient(port: origin.port)
        for size in [0, 1, 251, 40_000, (3 << 20) + 7] {
            try client.send(Self.post(BuiltinHolder.body(size: size)))
            let answer = try client.readResponse()
            #expect(answer.status == 200 && answer.header("Upload-Received") == "\(size)", "\(size) B: \(answer.status) \(answer.headers)")
        }
        let chunks = [1, 250, 70_000, 8, 1 << 20]
        try client.send(Self.post(BuiltinHolder.body(size: chunks.reduce(0, +)), chunks: chunks, path: "/fault/upload"))
        let chunked = try client.readResponse()
        #expect(chunked.status == 200 && chunked.header("Upload-Received") == "\(chunks.reduce(0, +))", "\(chunked.headers)")
        // An upload and a GET in one write: the upload's body ends where its framing says.
        try client.send(Self.post(BuiltinHolder.body(size: 5_000)) + Array("GET /bytes/300 HTTP/1.1\r\nHost: test\r\n\r\n".utf8))
        #expect(try client.readResponse().header("Upload-Received") == "5000")
        #expect(try client.readResponse().body == BuiltinHolder.body(size: 300))
    }

    @Test func anUploadThatIsNotThePatternNamesItsFirstWrongByte() throws {
        let origin = try BuiltinHolder()
        for chunks in [nil, [60_000, 40_000]] {
            var body = BuiltinHolder.body(size: 100_000)
            body[70_000] &+= 1
            body[90_000] &+= 1
            let client = try TestHTTPClient(port: origin.port)
            try client.send(Self.post(body, chunks: chunks))
            let answer = try client.readResponse()
            #expect(answer.status == 422 && answer.header("Upload-Differs-At") == "70000", "\(answer.status) \(answer.headers)")
            #expect(client.isClosedByPeer())
        }
    }

    /// Chunk framing the origin cannot walk, and a body on any request but an upload, which the
    /// origin does not read: 400, and the connection closes.
    @Test(arguments: [
        "POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n\0\r\nzz\r\n",
        "POST /bytes/10 HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\r\nabc",
    ])
    func aBodyTheOriginCannotReadIs400AndCloses(request: String) throws {
        let origin = try BuiltinHolder()
        let client = try TestHTTPClient(port: origin.port)
        try client.send(request)
        #expect(try client.readResponse().status == 400)
        #expect(client.isClosedByPeer())
    }

    /// However the body is cut into reads, the reader finds the same end and the same verdict.
    @Test func theReaderGivesOneVerdictForEverySplit() throws {
        var body = BuiltinHolder.body(size: 3_000)
        body[2_500] = 0xFF
        let whole = Self.post(body, chunks: [1_000, 1_999, 1])
        let start = whole.firstRange(of: Array("\r\n\r\n".utf8))!.upperBound
        let encoded = Array(whole[start...]) + Array("GET".utf8)
        for piece in [1, 7, 1_000, encoded.count] {
            var reader = UploadReader(.chunked)
            var offset = 0
            var outcome: UploadReader.Progress = .needMore
            while outcome == .needMore && offset < encoded.count {
                let end = min(offset + piece, encoded.count)
                outcome = encoded[offset..<end].withUnsafeBytes { reader.consume($0) }
                if case .finished(_, let used) = outcome { offset += used } else { offset = end }
            }
            guard case .finished(let check, _) = outcome else {
                Issue.record("pieces of \(piece): the body never ended")
                continue
            }
            #expect(check == .differs(at: 2_500), "pieces of \(piece)")
            #expect(offset == encoded.count - 3, "pieces of \(piece): the body ends before the next request")
        }
    }
}
