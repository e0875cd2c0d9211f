import Foundation
import ODBTestSupport
import Testing

extension RelayTests {
    /// One access-log line per request, as text or as JSON.
    @Suite struct AccessLog {
        @Test func textLinesHaveTheCommonShapeWithBodyPathAndUpstream() throws {
            let origin = try NginxOrigin(fileSizes: [1000, 1_048_577])
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel),
                                         log: LogOptions(level: "info", format: "text", accessLog: nil))
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            #expect(try fetchAndCompare(client, size: 1000).ok)
            #expect(try fetchAndCompare(client, size: 1_048_577).ok)
            let upstream = "127.0.0.1:\(origin.port)"
            #expect(relay.waitForLog("\"GET /files/1048577.bin"), "\(relay.log)")
            let lines = relay.log.split(separator: "\n").map(String.init)
            let small = try #require(lines.first { $0.contains("\"GET /files/1000.bin HTTP/1.1\" 200 1000 ") }, "\(relay.log)")
            #expect(small.contains("127.0.0.1 \"GET"), "client address first: \(small)")
            #expect(small.hasSuffix(" copy \(upstream)"), "a body under kernel_min_body is copied: \(small)")
            let large = try #require(lines.first { $0.contains("\"GET /files/1048577.bin HTTP/1.1\" 200 1048577 ") })
            #expect(large.hasSuffix(" kernel \(upstream)"), "\(large)")
            #expect(large.range(of: #" 200 1048577 \d+\.\d{6}s kernel"#, options: .regularExpression) != nil, "duration in seconds: \(large)")
        }

        @Test func jsonLinesCarryEveryFieldAndRelayAnswersTheirReason() throws {
            let origin = try NginxOrigin(fileSizes: [1_048_577])
            let relay = try RelayProcess(upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(.kernel),
                                         log: LogOptions(level: "info", format: "json", accessLog: nil))
            let client = try TestHTTPClient(port: relay.port)
            #expect(try fetchAndCompare(client, size: 1_048_577).ok)
            client.close()
            let bad = try TestHTTPClient(port: relay.port)
            defer { bad.close() }
            try bad.send("POST /upload/x HTTP/1.1\r\nHost: test\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
            #expect(try bad.readResponse().status == 400)
            #expect(relay.waitForLog("\"status\":\"400\""), "\(relay.log)")

            let objects = relay.log.split(separator: "\n").map { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String]
            }
            #expect(!objects.contains { $0 == nil }, "every line is one JSON object of strings: \(relay.log)")
            let access = objects.compactMap { $0 }.filter { $0["message"] == "access" }
            let download = try #require(access.first { $0["status"] == "200" })
            #expect(download["level"] == "info")
            #expect(download["client"] == "127.0.0.1")
            #expect(download["method"] == "GET")
            #expect(download["target"] == "/files/1048577.bin")
            #expect(download["bytes"] == "1048577")
            #expect(download["body_path"] == "kernel")
            #expect(download["upstream"] == "127.0.0.1:\(origin.port)")
            #expect(Double(download["duration_s"] ?? "") != nil)
            #expect(download["time"]?.hasSuffix("Z") == true)
            let rejected = try #require(access.first { $0["status"] == "400" })
            #expect(rejected["body_path"] == "none")
            #expect(rejected["reason"]?.contains("Transfer-Encoding") == true, "\(rejected)")
        }
    }
}
