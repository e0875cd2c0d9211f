import Foundation
import ODBTestSupport
import Testing

extension RelayTests {
    /// Bodies arrive byte for byte under random packet loss: tools/fault_torture.py at its CI size
    /// (client, relay and origin in three network namespaces, nftables dropping 0.1 %, 0.5 % and
    /// 2 % of the packets on every veth end, about two minutes), run against the built relay.
    @Suite struct FaultTorture {
        static let modes = ["kernel", "auto", "copy"]

        /// Zero bad bodies and no failed exchange in every mode, every mode checked bodies of each
        /// kind, and the verdict met overlapping skbs in kernel and auto modes (a run without any
        /// would prove nothing).
        @Test func bodiesSurviveRandomLossInEveryMode() throws {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../tools/fault_torture.py").standardized.path
            let summaryPath = NSTemporaryDirectory() + "odb-fault-torture-\(getpid()).json"
            defer { try? FileManager.default.removeItem(atPath: summaryPath) }
            let run = try CommandRunner.run("/usr/bin/env", [
                "python3", script, "--relay", CommandRunner.odbRedirect, "--modes", Self.modes.joined(separator: ","),
                "--json", summaryPath,
            ])
            let written = (try? Data(contentsOf: URL(fileURLWithPath: summaryPath))) ?? Data("{}".utf8)
            let summary = try JSONSerialization.jsonObject(with: written) as? [String: Any] ?? [:]
            let cells = summary["cells"] as? [[String: Any]] ?? []
            #expect(run.status == 0, "fault_torture.py failed:\n\(run.stdout)\(run.stderr)")
            #expect(summary["passed"] as? Bool == true)
            #expect(cells.count == Self.modes.count * 3, "one cell per mode and loss rate")
            for mode in Self.modes {
                let ofMode = cells.filter { $0["mode"] as? String == mode }
                var checked = [String: Int]()
                var bad = 0
                for cell in ofMode {
                    #expect(cell["dropped"] as? Int ?? 0 > 0, "\(mode): the loss rule dropped packets")
                    for (kind, entry) in cell["kinds"] as? [String: [String: Any]] ?? [:] {
                        checked[kind, default: 0] += entry["checked"] as? Int ?? 0
                        bad += (entry["bad"] as? Int ?? 1) + (entry["errors"] as? Int ?? 1)
                    }
                    bad += cell["origin_bad"] as? Int ?? 1
                }
                #expect(bad == 0, "\(mode): bad bodies or failed exchanges")
                for kind in ["content_length", "slow", "chunked", "upload", "tunnel_up", "tunnel_down"] {
                    #expect(checked[kind, default: 0] > 0, "\(mode): \(kind) bodies were checked")
                }
                if mode != "copy" {
                    let overlaps = ofMode.reduce(0) {
                        $0 + (($1["counters"] as? [String: Int])?["overlap_skbs"] ?? 0)
                    }
                    #expect(overlaps > 0, "\(mode): the verdict met overlapping skbs")
                }
            }
        }
    }
}
