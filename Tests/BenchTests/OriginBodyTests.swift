import ODBTestSupport
import Testing

/// The built-in origin's plain bodies, sent in slices of its pattern buffer: a real
/// `odb-redirect origin` process and real sockets.
@Suite(.serialized) struct OriginBodyTests {
    /// Sizes around the pattern's period (251) and the origin's send slice (1 MiB), whose
    /// offsets into the pattern buffer are the ones most easily got wrong.
    @Test func bodiesAreThePatternAcrossPeriodAndSliceBoundaries() throws {
        let origin = try BuiltinHolder()
        let client = try TestHTTPClient(port: origin.port)
        for size in [1, 250, 251, 252, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, (3 << 20) + 7] {
            let response = try client.get("/bytes/\(size)")
            #expect(response.status == 200)
            #expect(response.body == BuiltinHolder.body(size: size), "\(size) B")
        }
    }

    /// A client that resets its connection mid-body ends that connection's send, not the
    /// origin, which would die of SIGPIPE if a send lacked MSG_NOSIGNAL.
    @Test func aClientGoneMidBodyLeavesTheOriginServing() throws {
        let origin = try BuiltinHolder()
        for _ in 0..<3 {
            let leaving = try TestHTTPClient(port: origin.port)
            try leaving.send("GET /bytes/\(256 << 20) HTTP/1.1\r\nHost: test\r\n\r\n")
            _ = try leaving.readBytes(64 << 10)
            leaving.reset()
        }
        let client = try TestHTTPClient(port: origin.port)
        let response = try client.get("/bytes/100000")
        #expect(response.body == BuiltinHolder.body(size: 100_000), "the origin still serves after three resets mid-body")
    }
}
