import ODBHTTP

/// The origin's main listener: a path ending in `/bytes/N` gets N pattern bytes, or, for a
/// request proving itself a peer's when the origin holds payloads, a descriptor instead; an
/// upload is answered with how many pattern bytes arrived, or where they went wrong.
struct OriginBodyService: OriginService {
    /// Nil when the origin does not hold payloads: it then serves every body for real.
    let held: OriginHeldPayloads?

    func answer(_ request: OriginRequest, upload: UploadCheck?) -> OriginResponse {
        switch request.target {
        case .bytes(let size) where request.method == "GET" || request.method == "HEAD":
            let headOnly = request.method == "HEAD"
            if !headOnly, size > 0, let held, let secret = request.peerSecret, held.acceptsPeer(secret),
               let descriptor = held.hold(size: size) {
                return OriginResponse(
                    status: "200 OK",
                    fields: Self.commonFields + ["Content-Length: 0", "\(VirtualPayload.payloadHeader): \(descriptor.headerValue)"],
                    bodyBytes: 0, close: request.wantsClose)
            }
            return OriginResponse(
                status: "200 OK", fields: Self.commonFields + ["Content-Length: \(size)"],
                bodyBytes: headOnly ? 0 : size, close: request.wantsClose)
        case .bytes:
            return .refusal("405 Method Not Allowed", close: true)
        case .upload:
            switch upload {
            case .exact(let bytes):
                return OriginResponse(status: "200 OK", fields: ["Content-Length: 0", "\(Self.receivedField): \(bytes)"],
                                      bodyBytes: 0, close: request.wantsClose)
            case .differs(let offset):
                return OriginResponse(status: "422 Unprocessable Content", fields: ["Content-Length: 0", "\(Self.differsField): \(offset)"],
                                      bodyBytes: 0, close: true)
            case .badFraming, nil:
                return .refusal("400 Bad Request", close: true)
            }
        case .claim, .unknown:
            return .refusal("404 Not Found", close: true)
        case .malformed:
            return .refusal("400 Bad Request", close: true)
        }
    }

    private static let commonFields = ["Content-Type: application/octet-stream"]
    /// The pattern bytes an exact upload carried.
    static let receivedField = "Upload-Received"
    /// The first offset of an upload's data that was not the pattern's byte.
    static let differsField = "Upload-Differs-At"
}
