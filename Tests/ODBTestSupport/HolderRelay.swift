import Foundation

/// A relay holding an origin's bodies for peers (route role `holder`), and what a test needs to
/// act as its peer: ask with `ODB-Peer`, read the descriptor, claim on the claim port.
public final class HolderRelay {
    public let relay: RelayProcess
    public let claimPort: Int

    public init(origin: Int, mode: RouteMode = .kernel, workers: Int = 2, holdTimeout: String = "30s",
                maxHeldPayloads: Int? = nil, maxHeldBytes: String? = nil, flowBudget: String? = nil,
                logLevel: String = "notice", accessLog: Bool = false, admin: AdminOptions? = nil) throws {
        let claimPort = freePort()
        self.claimPort = claimPort
        let odb = VirtualPayloadOptions(name: "holder-test", claimListen: "127.0.0.1:\(claimPort)", holdTimeout: holdTimeout,
                                        maxHeldPayloads: maxHeldPayloads, maxHeldBytes: maxHeldBytes)
        relay = try RelayProcess { port in
            RelayConfigFile(workers: workers, log: LogOptions(level: logLevel, accessLog: accessLog), admin: admin, odb: odb,
                            listeners: [ListenerOptions(listen: "127.0.0.1:\(port)",
                                                        routes: [RouteOptions(mode, kernelMinBody: "64KiB", flowBudget: flowBudget, odb: "holder")])],
                            upstreams: [(name: "origin", servers: ["127.0.0.1:\(origin)"])])
        }
        guard waitForPort(claimPort) else {
            throw FixtureFailure("the claim listener did not start: \(relay.log)")
        }
    }

    /// The header a peer's requests and claims carry.
    public static let peerHeader = "ODB-Peer: \(VirtualPayloadOptions.testSecret)\r\n"

    /// Asks for `path` as a peer would, on `client` (a connection to the relay's listener).
    public func askAsPeer(_ client: TestHTTPClient, _ path: String, method: String = "GET") throws -> TestHTTPClient.Response {
        try client.send("\(method) \(path) HTTP/1.1\r\nHost: test\r\n\(Self.peerHeader)\r\n")
        return try client.readResponse(headRequest: method == "HEAD")
    }

    /// The payloads `status --json` lists for this relay, and the whole output.
    public func heldPayloads() throws -> (entries: [[String: Any]], output: String) {
        let result = try CommandRunner.odb("status", "--json", "--pin", relay.pinRoot)
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let sets = report?["sets"] as? [[String: Any]] ?? []
        let entries = sets.flatMap { $0["held_payloads"] as? [[String: Any]] ?? [] }.filter { ($0["pid"] as? Int) == Int(relay.pid) }
        return (entries, result.stdout)
    }

    /// Claims `token` on `claims` (a connection to the claim port) with `extra` header lines.
    public func claim(_ claims: TestHTTPClient, token: String, headers: String = HolderRelay.peerHeader) throws -> TestHTTPClient.Response {
        try claims.send("GET /odb/v1/payload/\(token) HTTP/1.1\r\nHost: holder-test\r\n\(headers)\r\n")
        return try claims.readResponse()
    }
}

/// The fields of an `ODB-Payload` value (`v=1; holder=NAME; token=HEX; framing=...; length=N`),
/// read the simple way a test can check by eye.
public struct DescriptorFields {
    public let fields: [String: String]

    public init?(_ response: TestHTTPClient.Response) {
        guard let value = response.header("ODB-Payload") else { return nil }
        var fields = [String: String]()
        for part in value.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { return nil }
            fields[String(pair[0])] = String(pair[1])
        }
        self.fields = fields
    }

    public var token: String { fields["token"] ?? "" }
    public var framing: String { fields["framing"] ?? "" }
    public var length: Int? { fields["length"].flatMap { Int($0) } }
}
