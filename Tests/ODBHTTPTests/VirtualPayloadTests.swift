import Testing
@testable import ODBHTTP

@Suite struct VirtualPayloadTests {
    static let token = PayloadToken(high: 0x0123_4567_89ab_cdef, low: 0x0000_0000_0000_00ff)

    @Test(arguments: [PayloadFraming.length(1), .length(64 << 20), .chunked, .close])
    func descriptorsRoundTrip(framing: PayloadFraming) throws {
        let descriptor = PayloadDescriptor(holder: "relay-3", token: Self.token, framing: framing)
        #expect(try PayloadDescriptor(headerValue: descriptor.headerValue) == descriptor)
    }

    @Test func spacesAndEmptyPartsAroundPartsAreIgnored() throws {
        let value = ";v=1 ;\tholder=relay-3;; token=0123456789abcdef00000000000000ff ;framing=length;length=7;"
        #expect(try PayloadDescriptor(headerValue: value) == PayloadDescriptor(holder: "relay-3", token: Self.token, framing: .length(7)))
        #expect(try PayloadDescriptor(headerValue: "v=1; holder=h; token=\(Self.token.hex); framing=length; length=9999999999999999999")
            .framing == .length(9_999_999_999_999_999_999))
    }

    @Test func headerValueIsTheDocumentedForm() {
        let descriptor = PayloadDescriptor(holder: "relay-3", token: Self.token, framing: .length(1000))
        #expect(descriptor.headerValue == "v=1; holder=relay-3; token=0123456789abcdef00000000000000ff; framing=length; length=1000")
        #expect(Self.token.claimTarget == "/odb/v1/payload/0123456789abcdef00000000000000ff")
        #expect(PayloadToken(claimTarget: Self.token.claimTarget) == Self.token)
    }

    @Test(arguments: [
        ("", PayloadDescriptor.ParseError.missing("v")),
        ("v=2; holder=a; token=0123456789abcdef00000000000000ff; framing=chunked", .unsupportedVersion("2")),
        ("v=1; token=0123456789abcdef00000000000000ff; framing=chunked", .missing("holder")),
        ("v=1; holder=a b; token=0123456789abcdef00000000000000ff; framing=chunked", .malformed("holder=a b")),
        ("v=1; holder=a; token=0123456789ABCDEF00000000000000ff; framing=chunked", .malformed("token")),
        ("v=1; holder=a; token=0123456789abcdef00000000000000f; framing=chunked", .malformed("token")),
        ("v=1; holder=a; token=0123456789abcdef00000000000000ff; framing=length", .missing("length")),
        ("v=1; holder=a; token=0123456789abcdef00000000000000ff; framing=length; length=0", .malformed("length=0")),
        ("v=1; holder=a; token=0123456789abcdef00000000000000ff; framing=length; length=+5", .malformed("length=+5")),
        ("v=1; holder=a; token=0123456789abcdef00000000000000ff; framing=length; length=99999999999999999999",
         .malformed("length=99999999999999999999")),
        ("v=1; holder=a; token=0123456789abcdef00000000000000ff; framing=gzip", .malformed("framing=gzip")),
        ("v=1; holder=a; token=0123456789abcdef00000000000000ff; framing=close; at=10.0.0.9:80", .malformed("at=10.0.0.9:80")),
        ("v=1; v=1; holder=a", .malformed("v=1")),
        ("v=1; holder=a; token=0123456789abcdef00000000000000ff; framing=chunked; length=5", .malformed("length=5")),
        ("v=1; holder=a; token=0123456789abcdef00000000000000ff; framing=close; x=1; x=2", .malformed("x=1")),
        ("v=1;  ; holder=a", .malformed("")),
        ("v=1; holder", .malformed("holder")),
        ("v=01; holder=a; token=0123456789abcdef00000000000000ff; framing=close", .unsupportedVersion("01")),
        ("v=1; holder=a; token=0123456789abcdef00000000000000ff; framing=length; length=1 2", .malformed("length=1 2")),
        ("v=1; holder=\u{e9}; token=0123456789abcdef00000000000000ff; framing=close", .malformed("holder=\u{e9}")),
    ])
    func malformedDescriptorsAreRefused(value: String, expected: PayloadDescriptor.ParseError) {
        #expect(throws: expected) { try PayloadDescriptor(headerValue: value) }
    }

    @Test func tokensAreFreshAndTheirDigestHidesThem() {
        let tokens = Set((0..<1000).map { _ in PayloadToken.random() })
        #expect(tokens.count == 1000)
        let token = tokens.first!
        #expect(PayloadToken(hex: token.hex) == token)
        #expect(token.digest.count == 8)
        #expect(!token.hex.contains(token.digest))
        #expect(PayloadToken(claimTarget: "/odb/v1/payload/") == nil)
        #expect(PayloadToken(claimTarget: "/files/" + token.hex) == nil)
    }

    @Test func bodiesWithoutBytesAreNeverHeld() {
        #expect(PayloadFraming(.none) == nil)
        #expect(PayloadFraming(.contentLength(0)) == nil)
        #expect(PayloadFraming(.tunnel) == nil)
        #expect(PayloadFraming(.contentLength(5)) == .length(5))
        #expect(PayloadFraming(.untilClose) == .close)
    }

    @Test func stripRemovesEveryProtocolField() {
        var headers = HTTPHeaders([HTTPField(name: "odb-payload", value: "v=1"), HTTPField(name: "Host", value: "a"),
                                   HTTPField(name: "ODB-Peer", value: "secret")])
        #expect(VirtualPayload.strip(&headers))
        #expect(headers.fields == [HTTPField(name: "Host", value: "a")])
        #expect(!VirtualPayload.strip(&headers))
    }
}
