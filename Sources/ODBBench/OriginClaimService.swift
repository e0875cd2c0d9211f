/// The origin's claim listener: `GET /odb/v1/payload/<token>` with the peers' secret gets the
/// held body, exactly the bytes the plain response would have carried, once.
struct OriginClaimService: OriginService {
    let held: OriginHeldPayloads

    func answer(_ request: OriginRequest, upload: UploadCheck?) -> OriginResponse {
        guard case .claim(let token) = request.target, request.method == "GET" else {
            return .refusal("400 Bad Request", close: true)
        }
        guard let secret = request.peerSecret, held.acceptsPeer(secret) else {
            return .refusal("403 Forbidden", close: request.wantsClose)
        }
        guard let size = held.claim(token) else {
            return .refusal("404 Not Found", close: request.wantsClose)
        }
        return OriginResponse(status: "200 OK", fields: ["Content-Length: \(size)"], bodyBytes: size, close: request.wantsClose)
    }
}
