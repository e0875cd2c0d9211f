import Foundation
import ODBHTTP
import ODBTestSupport
import Testing

/// `odb-redirect origin` as a virtual payload holder: a real origin process, claimed over real
/// sockets, its bodies compared byte for byte with what a plain GET of the same size carries.
@Suite(.serialized) struct OriginHolderTests {
    static let secret = "origin-test-secret-0123456789"
    static let peer = "ODB-Peer: \(secret)\r\n"

    /// An `odb-redirect origin` holding payloads as `holder`, killed when the test ends.
    /// The origin under test, named `holder`.
    static func holdingOrigin(secretFile: String? = nil, holdTimeout: Double = 60, maxHeld: Int = 100_000) throws -> BuiltinHolder {
        try BuiltinHolder(name: "holder", secret: secret, secretFile: secretFile, holdTimeout: holdTimeout, maxHeld: maxHeld)
    }

    /// The descriptor a peer's request for `path` gets, checked to be one.
    static func descriptor(_ client: TestHTTPClient, _ path: String) throws -> PayloadDescriptor {
        let response = try client.get(path, extra: peer)
        #expect(response.status == 200)
        #expect(response.header("Content-Length") == "0")
        #expect(response.body.isEmpty)
        #expect(response.header("Content-Type") == "application/octet-stream", "the rest of the head is the plain one")
        return try PayloadDescriptor(headerValue: try #require(response.header(VirtualPayload.payloadHeader)))
    }

    static func claim(_ client: TestHTTPClient, _ token: PayloadToken, secret: String = secret) throws -> TestHTTPClient.Response {
        try client.get(token.claimTarget, host: "holder", extra: "ODB-Peer: \(secret)\r\n")
    }

    @Test func aClaimCarriesExactlyThePlainBodyOnce() throws {
        let origin = try Self.holdingOrigin()
        let plain = try TestHTTPClient(port: origin.port)
        let peer = try TestHTTPClient(port: origin.port)
        let claims = try TestHTTPClient(port: origin.claimPort)
        for size in [1, 1 << 20, 4 << 20] {
            let expected = try plain.get("/bytes/\(size)")
            #expect(expected.status == 200 && expected.body.count == size)
            #expect(expected.header(VirtualPayload.payloadHeader) == nil)

            let descriptor = try Self.descriptor(peer, "/bytes/\(size)")
            #expect(descriptor.holder == "holder")
            #expect(descriptor.framing == .length(UInt64(size)))

            let claimed = try Self.claim(claims, descriptor.token)
            #expect(claimed.status == 200)
            #expect(claimed.header("Content-Length") == String(size))
            #expect(claimed.body == expected.body, "\(size) B: the claim carries the plain body's bytes")

            let again = try Self.claim(claims, descriptor.token)
            #expect(again.status == 404, "a token is single use")
            #expect(again.body.isEmpty)
        }
    }

    @Test func everyPathEndingInBytesIsServedAndHeld() throws {
        let origin = try Self.holdingOrigin()
        let client = try TestHTTPClient(port: origin.port)
        let plain = try client.get("/bytes/1000")
        let fault = try client.get("/fault/bytes/1000")
        #expect(fault.status == 200)
        #expect(fault.body == plain.body && fault.body.count == 1000)
        #expect(try client.get("/fault/bytes/x").status == 404)

        let descriptor = try Self.descriptor(try TestHTTPClient(port: origin.port), "/fault/bytes/1000")
        let claimed = try Self.claim(try TestHTTPClient(port: origin.claimPort), descriptor.token)
        #expect(claimed.body == plain.body)
    }

    @Test func whatIsNotAPeersGetsTheRealBody() throws {
        let origin = try Self.holdingOrigin()
        let client = try TestHTTPClient(port: origin.port)
        let wrong = try client.get("/bytes/5000", extra: "ODB-Peer: not-the-secret-but-long-enough\r\n")
        #expect(wrong.status == 200 && wrong.body.count == 5000 && wrong.header(VirtualPayload.payloadHeader) == nil)
        #expect(wrong.body == (try client.get("/bytes/5000")).body)

        let held = try client.get("/bytes/5000", extra: Self.peer)
        #expect(held.header(VirtualPayload.payloadHeader) != nil, "the same connection still serves peers")
        try client.send("HEAD /bytes/5000 HTTP/1.1\r\nHost: test\r\n\(Self.peer)\r\n")
        let headResponse = try client.readResponse(headRequest: true)
        #expect(headResponse.header("Content-Length") == "5000" && headResponse.header(VirtualPayload.payloadHeader) == nil,
                "HEAD is never held")
        let empty = try client.get("/bytes/0", extra: Self.peer)
        #expect(empty.header("Content-Length") == "0" && empty.header(VirtualPayload.payloadHeader) == nil,
                "an empty body is never held")
    }

    @Test func aClaimWithoutTheSecretIsForbiddenAndLeavesThePayload() throws {
        let origin = try Self.holdingOrigin()
        let descriptor = try Self.descriptor(try TestHTTPClient(port: origin.port), "/bytes/2048")
        let claims = try TestHTTPClient(port: origin.claimPort)
        let forbidden = try Self.claim(claims, descriptor.token, secret: "not-the-secret-but-long-enough")
        #expect(forbidden.status == 403 && forbidden.body.isEmpty)
        let missing = try claims.get(descriptor.token.claimTarget)
        #expect(missing.status == 403)
        let claimed = try Self.claim(claims, descriptor.token)
        #expect(claimed.status == 200 && claimed.body.count == 2048, "a refused claim does not spend the token")
    }

    @Test func malformedClaimsAreRefused() throws {
        let origin = try Self.holdingOrigin()
        let token = try Self.descriptor(try TestHTTPClient(port: origin.port), "/bytes/10").token
        for request in [
            "GET /odb/v1/payload/\(token.hex.uppercased()) HTTP/1.1\r\nHost: holder\r\n\(Self.peer)\r\n",
            "GET /odb/v1/payload/\(token.hex)0 HTTP/1.1\r\nHost: holder\r\n\(Self.peer)\r\n",
            "POST \(token.claimTarget) HTTP/1.1\r\nHost: holder\r\n\(Self.peer)Content-Length: 0\r\n\r\n",
            "GET /bytes/10 HTTP/1.1\r\nHost: holder\r\n\(Self.peer)\r\n",
        ] {
            let client = try TestHTTPClient(port: origin.claimPort)
            try client.send(request)
            let response = try client.readResponse()
            #expect(response.status == 400 && response.body.isEmpty, "\(request)")
            #expect(client.isClosedByPeer())
        }
        let unknown = try Self.claim(try TestHTTPClient(port: origin.claimPort), PayloadToken.random())
        #expect(unknown.status == 404)
        #expect(try Self.claim(try TestHTTPClient(port: origin.claimPort), token).status == 200, "refusals spent nothing")
    }

    @Test func pastTheCapBodiesAreServedForReal() throws {
        let origin = try Self.holdingOrigin(maxHeld: 2)
        let client = try TestHTTPClient(port: origin.port)
        let first = try Self.descriptor(client, "/bytes/3000")
        _ = try Self.descriptor(client, "/bytes/3000")
        let overCap = try client.get("/bytes/3000", extra: Self.peer)
        #expect(overCap.header(VirtualPayload.payloadHeader) == nil)
        #expect(overCap.body == (try client.get("/bytes/3000")).body && overCap.body.count == 3000)
        #expect(try Self.claim(try TestHTTPClient(port: origin.claimPort), first.token).status == 200)
        _ = try Self.descriptor(client, "/bytes/3000")
    }

    @Test func holderOptionsAreValidated() throws {
        let short = try CommandRunner.odb(
            "origin", "--listen", "127.0.0.1:0", "--odb-name", "holder", "--odb-secret", "short", "--odb-claim-listen", "127.0.0.1:0")
        #expect(short.status != 0 && short.stderr.contains("at least 16"), "\(short.stderr)")
        let name = try CommandRunner.odb(
            "origin", "--listen", "127.0.0.1:0", "--odb-name", "no/slash", "--odb-secret", Self.secret, "--odb-claim-listen", "127.0.0.1:0")
        #expect(name.status != 0 && name.stderr.contains("invalid holder name"), "\(name.stderr)")
        let partial = try CommandRunner.odb("origin", "--listen", "127.0.0.1:0", "--odb-secret", Self.secret)
        #expect(partial.status != 0 && partial.stderr.contains("all three or none"), "\(partial.stderr)")
    }

    /// `--odb-secret-file` reads the secret as the relay reads `odb.secret_file` (first line,
    /// trimmed, the same checks and messages), and the secret stays off the command line.
    @Test func theSecretMayComeFromAFile() throws {
        let directory = NSTemporaryDirectory() + "odb-origin-secret-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/secret"
        try "  \(Self.secret) \nnot-the-secret-but-long-enough\n".write(toFile: file, atomically: true, encoding: .utf8)
        let origin = try Self.holdingOrigin(secretFile: file)
        let commandLine = try String(contentsOfFile: "/proc/\(origin.pid)/cmdline", encoding: .utf8)
        #expect(commandLine.contains(file) && !commandLine.contains(Self.secret), "the secret is not in ps")
        let descriptor = try Self.descriptor(try TestHTTPClient(port: origin.port), "/bytes/4096")
        let claims = try TestHTTPClient(port: origin.claimPort)
        #expect(try Self.claim(claims, descriptor.token, secret: "not-the-secret-but-long-enough").status == 403,
                "only the first line is the secret")
        let claimed = try Self.claim(claims, descriptor.token)
        #expect(claimed.status == 200 && claimed.body == BuiltinHolder.body(size: 4096))

        func refusal(_ secretOptions: String...) throws -> String {
            let run = try CommandRunner.run(CommandRunner.odbRedirect,
                ["origin", "--listen", "127.0.0.1:0", "--odb-name", "holder", "--odb-claim-listen", "127.0.0.1:0"] + secretOptions)
            #expect(run.status != 0)
            return run.stderr
        }
        let missing = directory + "/missing"
        let unreadable = try refusal("--odb-secret-file", missing)
        #expect(unreadable.contains("--odb-secret-file: cannot read \"\(missing)\": No such file or directory"), "\(unreadable)")
        let short = directory + "/short"
        try "tooshort\n".write(toFile: short, atomically: true, encoding: .utf8)
        let weak = try refusal("--odb-secret-file", short)
        #expect(weak.contains("--odb-secret-file: the secret must be at least 16 visible ASCII characters without spaces"), "\(weak)")
        let both = try refusal("--odb-secret-file", file, "--odb-secret", Self.secret)
        #expect(both.contains("give either --odb-secret or --odb-secret-file, not both"), "\(both)")
    }

    @Test func anUnclaimedPayloadExpires() throws {
        let holdTimeout = 3.0
        let origin = try Self.holdingOrigin(holdTimeout: holdTimeout, maxHeld: 2)
        let client = try TestHTTPClient(port: origin.port)
        let expiring = try Self.descriptor(client, "/bytes/4096")
        // The origin set the deadline before it answered, so it has passed once this much time
        // has passed since the answer arrived.
        let answered = ContinuousClock.now
        let claims = try TestHTTPClient(port: origin.claimPort)
        let fresh = try Self.descriptor(client, "/bytes/4096")
        #expect(try Self.claim(claims, fresh.token).status == 200, "claimed in time")
        try waitUntil("the hold timeout to pass") { ContinuousClock.now - answered > .seconds(holdTimeout) }
        for _ in 0..<2 {
            #expect(try client.get("/bytes/4096", extra: Self.peer).header(VirtualPayload.payloadHeader) != nil,
                    "an expired payload leaves the table, so both places under the cap are free")
        }
        let expired = try Self.claim(claims, expiring.token)
        #expect(expired.status == 404 && expired.body.isEmpty)
    }
}
