import Foundation
import ODBTestSupport
import Testing

extension RelayTests {
    /// A relay that switched user shares that user's pipe quota (`fs.pipe-user-pages-soft`).
    /// Past it the kernel makes two-page pipes it will not grow, which splice at about half of
    /// copying's rate, so the relay copies those bodies instead and says why.
    @Suite struct SplicePipeQuota {
        static let size = 1 << 20

        /// A process of `user` that holds pipes until the kernel makes the next one small: the
        /// user is then past its soft limit. It lets them go when its standard input closes.
        final class QuotaHolder {
            let process = Process()
            private let input = Pipe()

            init(user: SystemUser) throws {
                let script = """
                    import fcntl, os, sys
                    held = []
                    for _ in range(400):
                        r, w = os.pipe()
                        held.append((r, w))
                        if fcntl.fcntl(w, fcntl.F_GETPIPE_SZ) < 65536:
                            break
                        try:
                            fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 1 << 20)
                        except OSError:
                            pass
                    print(fcntl.fcntl(held[-1][1], fcntl.F_GETPIPE_SZ), flush=True)
                    sys.stdin.read()
                    """
                process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
                process.arguments = ["--reuid=\(user.uid)", "--regid=\(user.gid)", "--init-groups", "--inh-caps=-all",
                                     "--bounding-set=-all", "/usr/bin/python3", "-c", script]
                let output = Pipe()
                process.standardInput = input
                process.standardOutput = output
                try process.run()
                let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
                guard let capacity = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)), capacity < 65536 else {
                    throw QuotaNotReached(output: line)
                }
            }

            struct QuotaNotReached: Error, CustomStringConvertible {
                let output: String
                var description: String { "the quota holder did not get past the soft limit: \(output)" }
            }

            func release() {
                try? input.fileHandleForWriting.close()
                process.waitUntilExit()
            }
        }

        @Test func bodiesAreCopiedWhilePipesAreHeldSmallAndSplicedAgainAfter() throws {
            // A user of its own: no other test's relay spends or frees this quota meanwhile. Mode
            // auto, the default, loads the kernel objects whose pin set carries the body
            // counters; its local threshold at 128 KiB has it splice the 1 MiB body to this
            // test's client on loopback.
            let user = try SystemUser.ensure("odb-pipe-test")
            let origin = try NginxOrigin(fileSizes: [Self.size])
            let relay = try RelayProcess { port in
                var config = RelayConfigFile.singleRoute(port: port, upstreams: ["127.0.0.1:\(origin.port)"],
                                                         route: RouteOptions(.auto, autoLocalSpliceMinBody: "128KiB"),
                                                         log: LogOptions(accessLog: nil))
                config.user = user.name
                return config
            }
            #expect(relay.waitForLog("switched user"), "\(relay.log)")
            let holder = try QuotaHolder(user: user)
            defer { holder.release() }
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }

            let small = try fetchAndCompare(client, size: Self.size)
            #expect(small.ok, "\(small.detail)")
            let copied = try relay.bodyBytes(atLeast: Self.size)
            #expect((copied["splice"] ?? 0) == 0, "no body goes through a two-page pipe: \(copied)")
            #expect((copied["copy"] ?? 0) >= Self.size, "\(copied)")
            #expect(try relay.waitForCounter("splice_pipe", in: "fallbacks") { $0 >= 1 } == 1, "the copied body is counted")
            #expect(relay.waitForLog("fs.pipe-user-pages-soft"), "the warning names the limit: \(relay.log)")
            #expect(relay.log.contains("CAP_SYS_RESOURCE"), "and the capability: \(relay.log)")
            #expect(try relay.waitForCounter("spare_splice_pipes") { $0 == 0 } == 0, "a two-page pipe is not kept")
            let pipesWithoutSpares = relay.openPipeCount

            holder.release()
            let again = try fetchAndCompare(client, size: Self.size)
            #expect(again.ok, "\(again.detail)")
            let spliced = try relay.bodyBytes(atLeast: 2 * Self.size)
            #expect((spliced["splice"] ?? 0) > Self.size / 2, "with the quota free the body is spliced: \(spliced)")
            // The body's pipe is kept for the next one, and `status` counts what the relay holds.
            #expect(try relay.waitForCounter("spare_splice_pipes") { $0 == 1 } == 1)
            #expect(relay.openPipeCount == pipesWithoutSpares + 2)
            #expect(relay.stopsGracefully())
        }
    }
}
