/// Renders a `StatusSnapshot` as aligned text tables for a terminal.
enum StatusTable {
    /// The relay counters the table shows; `status --json` has them all.
    static let relayColumns: [(header: String, counter: RelayCounter)] = [
        ("KERNEL B", .bodyBytesKernel), ("SPLICE B", .bodyBytesSplice), ("COPY B", .bodyBytesCopy),
        ("REQUESTS", .requests), ("CONNS", .activeConnections), ("FLOWS", .activeFlows),
    ]

    static func render(_ snapshot: StatusSnapshot) -> String {
        var out = "pin set \(snapshot.pinDirectory) (map layout v\(snapshot.abiVersion))\n"
        out += "programs: " + snapshot.programs.map { "\($0.name) (\($0.type), id \($0.id))" }.joined(separator: ", ") + "\n"
        out += section("attached cgroups", ["CGROUP ID", "PATH", "OWNER"], snapshot.attachments.map {
            [String($0.cgroupID), $0.path, $0.ownerPID.map { "relay pid \($0)" + (snapshotAlive($0, snapshot) ? "" : " (dead)") } ?? "attach"]
        })
        out += section("tracked sockets", ["COOKIE", "LOCAL", "REMOTE", "AGE s"], snapshot.sockets.map {
            [String($0.cookie), $0.local, $0.remote, String(format1($0.ageSeconds))]
        })
        out += section("redirect flows", ["SOURCE", "TARGET", "REDIRECTED", "PASSED", "OFFSET", "WINDOW LEFT", "STATE"], snapshot.flows.map {
            [$0.source ?? String($0.sourceCookie), $0.target ?? String($0.targetCookie), String($0.bytesRedirected),
             String($0.bytesPassed), String($0.streamOffset), $0.windowRemaining.map(String.init) ?? "tunnel", $0.state]
        })
        out += section("relays", ["PID", "ALIVE"] + relayColumns.map(\.header), snapshot.relays.map { relay in
            [String(relay.pid), relay.alive ? "yes" : "no"] + relayColumns.map { String(relay[$0.counter]) }
        })
        out += heldSection(snapshot.heldPayloads)
        if let missed = snapshot.counters[KernelCounter.socketsTableFull.statusKey], missed > 0 {
            out += "WARNING: odb_socks was full for \(missed) new sockets: they are not tracked, so their bodies are copied, not redirected\n"
        }
        out += "counters: " + snapshot.counters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + "\n"
        return out
    }

    /// The oldest held payloads; `status --json` lists them all.
    static let heldRows = 20

    private static func heldSection(_ held: [HeldPayloadEntry]) -> String {
        var out = section("held payloads", ["PAYLOAD", "PID", "WORKER", "FRAMING", "LENGTH", "BOUND B", "AGE s", "UPSTREAM"],
                          held.prefix(heldRows).map {
            [$0.tokenDigest, String($0.pid), String($0.worker), $0.framing.name, $0.length.map(String.init) ?? "-",
             String($0.boundBytes), String(format1($0.ageSeconds)), $0.upstream]
        })
        if held.count > heldRows {
            let bytes = held.reduce(0) { $0 + $1.boundBytes }
            out += "  ... \(held.count - heldRows) more; \(held.count) held in all, \(bytes) bytes bound\n"
        }
        return out
    }

    private static func snapshotAlive(_ pid: UInt32, _ snapshot: StatusSnapshot) -> Bool {
        snapshot.attachments.first { $0.ownerPID == pid }?.ownerAlive ?? false
    }

    private static func format1(_ value: Double) -> String {
        String(Double(Int(value * 10)) / 10)
    }

    private static func section(_ title: String, _ header: [String], _ rows: [[String]]) -> String {
        guard !rows.isEmpty else { return "\(title): none\n" }
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        let lines = all.map { row in
            row.indices.map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        return "\(title):\n" + lines.map { "  " + $0 }.joined(separator: "\n") + "\n"
    }
}
