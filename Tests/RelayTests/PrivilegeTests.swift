import Foundation
import Glibc
import ODBTestSupport
import Testing

extension RelayTests {
    /// Least privilege: the capabilities docs/OPERATIONS.md lists are enough, each one is
    /// needed, and a relay started as root keeps only what it uses after setup.
    @Suite struct Privileges {
        /// CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN: what loading, attaching and relaying needs.
        static let setupCapabilities = ["bpf", "perfmon", "net_admin"]
        /// CAP_NET_ADMIN (12) and CAP_BPF (39): what a running relay keeps when its target send
        /// buffers pass net.core.wmem_max.
        static let runtimeMask: UInt64 = 1 << 12 | 1 << 39
        static let bpfOnly: UInt64 = 1 << 39
        static let netAdminOnly: UInt64 = 1 << 12
        static let size = 4_194_307

        /// With `sendBuffer` as `limits.kernel_send_buffer` and a `flow_budget` no smaller, so
        /// that a window alone gets all of it.
        static func config(port: Int, origin: Int, user: String, sendBuffer: Int? = nil) -> RelayConfigFile {
            var config = RelayConfigFile.singleRoute(port: port, upstreams: ["127.0.0.1:\(origin)"],
                                                     route: RouteOptions(.kernel, flowBudget: sendBuffer.map { String(max($0, 16 << 20)) }),
                                                     log: LogOptions(accessLog: nil),
                                                     limits: sendBuffer.map { [.kernelSendBuffer(String($0))] } ?? [])
            config.user = user
            return config
        }

        /// A target send buffer past this host's net.core.wmem_max, which only SO_SNDBUFFORCE
        /// and so CAP_NET_ADMIN may set.
        static func sendBufferPastTheMaximum() throws -> Int {
            min(1 << 30, 2 * max(try netCore("wmem_max"), 1 << 20))
        }

        /// A `net.core` sysctl of this host.
        static func netCore(_ name: String) throws -> Int {
            let text = try String(contentsOfFile: "/proc/sys/net/core/" + name, encoding: .utf8)
            return try #require(Int(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        }

        @Test func unprivilegedUserWithTheDocumentedCapabilitiesRelaysInTheKernel() throws {
            let user = try SystemUser.ensure()
            let origin = try NginxOrigin(fileSizes: [Self.size])
            // What the systemd unit's Delegate=yes gives the relay: a cgroup of the user's own.
            let delegated = try user.delegatedCgroup()
            defer { rmdir(delegated) }
            // A 0700 /sys/fs/bpf lets the user reach nothing below it: a bpffs of its own.
            let bpffs = try PrivateBpffs(owner: user)
            defer { bpffs.unmount() }
            // Send buffers past wmem_max: the relay keeps CAP_NET_ADMIN to force them.
            let sendBuffer = try Self.sendBufferPastTheMaximum()
            let relay = try RelayProcess(pinRoot: bpffs.mountPoint, executable: try user.executableCopy(),
                                         launcher: CgroupHooks.launcher(joining: delegated)
                                             + user.launcher(capabilities: Self.setupCapabilities)) { port in
                Self.config(port: port, origin: origin.port, user: user.name, sendBuffer: sendBuffer)
            }
            let own = "\(delegated)/odb-redirect-relay-\(relay.pid)"
            #expect(try CgroupHooks.cgroup(of: relay.pid) == own, "the relay hooks a cgroup of its own below the delegated one")
            #expect(relay.waitForLog("dropped unneeded capabilities"), "\(relay.log)")
            for thread in try Self.threadStatus(of: relay) {
                #expect(thread["Uid"]?.hasPrefix("\(user.uid)\t") == true, "\(thread)")
                #expect(Self.mask(thread["CapEff"]) == Self.runtimeMask, "unused capabilities are dropped after setup: \(thread)")
                #expect(Self.mask(thread["CapAmb"]) == 0)
            }
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            #expect(try fetchAndCompare(client, size: Self.size).ok)
            let bytes = try relay.bodyBytes(atLeast: Self.size)
            #expect((bytes["kernel"] ?? 0) > Self.size / 2, "the body took the kernel path: \(bytes)")
            let ownSet = "\(relay.pinRoot)/relay-\(relay.pid)"
            #expect(FileManager.default.fileExists(atPath: ownSet))
            #expect(relay.stopsGracefully())
            #expect(!FileManager.default.fileExists(atPath: ownSet), "the unprivileged relay removes its pins: \(relay.log)")
            #expect(!FileManager.default.fileExists(atPath: own), "and its cgroup: \(relay.log)")
        }

        @Test(arguments: ["bpf", "perfmon", "net_admin"])
        func eachMissingCapabilityIsNamed(missing: String) throws {
            let user = try SystemUser.ensure()
            let bpffs = try PrivateBpffs(owner: user)
            defer { bpffs.unmount() }
            let result = try Self.failedStart(user: user.name, executable: try user.executableCopy(), pinRoot: bpffs.mountPoint,
                                              launcher: user.launcher(capabilities: Self.setupCapabilities.filter { $0 != missing }))
            #expect(result.status != 0)
            #expect(result.stderr.contains("needs CAP_\(missing.uppercased())"), "\(result.stderr)")
        }

        /// Outside a delegated cgroup the relay's user may not make a cgroup of its own: the
        /// relay stops, names the fixes, and leaves no pins.
        @Test func unprivilegedUserWithoutADelegatedCgroupIsToldTheFix() throws {
            let user = try SystemUser.ensure()
            let bpffs = try PrivateBpffs(owner: user)
            defer { bpffs.unmount() }
            let pinRoot = bpffs.mountPoint
            let launcher = CgroupHooks.launcher(joining: try CgroupHooks.mountPoint()) + user.launcher(capabilities: Self.setupCapabilities)
            let result = try Self.failedStart(user: user.name, executable: try user.executableCopy(), pinRoot: pinRoot, launcher: launcher)
            #expect(result.status != 0)
            #expect(result.stderr.contains("cannot move into a cgroup of its own"), "\(result.stderr)")
            #expect(result.stderr.contains("Delegate=yes"))
            // The top of a bpffs also lists the kernel's maps.debug and progs.debug.
            #expect(try FileManager.default.contentsOfDirectory(atPath: pinRoot).filter { $0.hasPrefix("relay-") }.isEmpty,
                    "nothing stays pinned")
        }

        @Test func unknownUserFailsBeforeAnythingIsLoaded() throws {
            let pinRoot = "/sys/fs/bpf/odb-test-nouser-\(getpid())"
            let result = try Self.failedStart(user: "odb-no-such-user", executable: CommandRunner.odbRedirect, pinRoot: pinRoot)
            #expect(result.status != 0)
            #expect(result.stderr.contains("no such user \"odb-no-such-user\""), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: pinRoot), "nothing was pinned")
        }

        @Test func rootSwitchesToTheConfiguredUserKeepingOnlyRuntimeCapabilities() throws {
            let user = try SystemUser.ensure()
            let origin = try NginxOrigin(fileSizes: [Self.size])
            let sendBuffer = try Self.sendBufferPastTheMaximum()
            let relay = try RelayProcess { port in Self.config(port: port, origin: origin.port, user: user.name, sendBuffer: sendBuffer) }
            #expect(relay.waitForLog("switched user"), "\(relay.log)")
            let threads = try Self.threadStatus(of: relay)
            #expect(threads.count >= 3, "main and two workers: \(threads.count)")
            for thread in threads {
                #expect(thread["Uid"] == "\(user.uid)\t\(user.uid)\t\(user.uid)\t\(user.uid)", "\(thread)")
                #expect(thread["Gid"] == "\(user.gid)\t\(user.gid)\t\(user.gid)\t\(user.gid)", "\(thread)")
                #expect(thread["Groups"] == "\(user.gid)", "supplementary groups: \(thread)")
                for set in ["CapEff", "CapPrm", "CapBnd"] {
                    #expect(Self.mask(thread[set]) == Self.runtimeMask, "\(set): \(thread)")
                }
                #expect(Self.mask(thread["CapInh"]) == 0)
                #expect(Self.mask(thread["CapAmb"]) == 0)
            }
            #expect(relay.log.contains("keeping CAP_NET_ADMIN"), "the reason to keep it is logged: \(relay.log)")
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            #expect(try fetchAndCompare(client, size: Self.size).ok, "relaying works after the switch")
            #expect(relay.stopsGracefully())
            #expect(PrivateBpffs.pins(under: relay.pinRoot).isEmpty, "the pins it created are gone: \(relay.log)")
            let detach = try CommandRunner.odb("detach", "--pin", relay.pinRoot)
            #expect(detach.status == 0, "\(detach.stderr)")
            #expect(!FileManager.default.fileExists(atPath: relay.pinRoot), "detach removes the set's empty directory and the root")
        }

        /// On a bpffs mounted 0700 (what tools/setup.sh makes of /sys/fs/bpf) the relay's user
        /// can reach nothing by path. Started as root, the relay keeps its pin root root's and
        /// hands only its own set to the user, who unpins it at exit through the descriptors
        /// the relay opened before switching; the empty set directory, which only root may
        /// remove from the pin root, goes at the next start as root, which finds the pin root
        /// still its own.
        @Test func relayThatSwitchedUserLeavesNoPinsOnA0700BpffsAndTheNextStartSucceeds() throws {
            let user = try SystemUser.ensure()
            let origin = try NginxOrigin(fileSizes: [Self.size])
            let bpffs = try PrivateBpffs()
            defer { bpffs.unmount() }
            let pinRoot = bpffs.mountPoint + "/odb-redirect"
            let first = try RelayProcess(pinRoot: pinRoot) { port in Self.config(port: port, origin: origin.port, user: user.name) }
            #expect(first.waitForLog("switched user"), "\(first.log)")
            let client = try TestHTTPClient(port: first.port)
            #expect(try fetchAndCompare(client, size: Self.size).ok)
            client.close()
            #expect(!PrivateBpffs.pins(under: pinRoot).isEmpty)
            #expect(first.stopsGracefully())
            #expect(PrivateBpffs.pins(under: pinRoot).isEmpty, "the user unpinned the set: \(first.log)")
            var root = stat()
            #expect(lstat(pinRoot, &root) == 0)
            #expect(root.st_uid == 0 && root.st_mode & 0o777 == 0o700, "the pin root stays root's, 0700")

            let second = try RelayProcess(pinRoot: pinRoot) { port in Self.config(port: port, origin: origin.port, user: user.name) }
            #expect(second.waitForLog("switched user"), "the next start as root trusts the pin root: \(second.log)")
            #expect(second.log.contains("removed the pin set of a relay that died"), "\(second.log)")
            #expect(!FileManager.default.fileExists(atPath: "\(pinRoot)/relay-\(first.pid)"))
            let again = try TestHTTPClient(port: second.port)
            defer { again.close() }
            #expect(try fetchAndCompare(again, size: Self.size).ok)
            #expect(second.stopsGracefully())
            #expect(PrivateBpffs.pins(under: pinRoot).isEmpty)
        }

        /// A set named after the starting relay's own pid was left by an earlier process with
        /// that pid (a relay in a container often gets the same pid every start), and owned by
        /// the user that relay switched to: it is removed, never a reason to refuse the start.
        @Test func aLeftoverSetWithTheRelaysOwnPidDoesNotStopItsStart() throws {
            let user = try SystemUser.ensure()
            let bpffs = try PrivateBpffs()
            defer { bpffs.unmount() }
            let pinRoot = bpffs.mountPoint + "/odb-redirect"
            #expect(mkdir(pinRoot, 0o700) == 0)
            // The shell makes the leftover under its own pid, then becomes the relay.
            let leftover = "mkdir -m 0700 \"$1/relay-$$\" && chown \(user.uid):\(user.gid) \"$1/relay-$$\" && shift && exec \"$@\""
            let relay = try RelayProcess(pinRoot: pinRoot, launcher: ["/bin/sh", "-c", leftover, "sh", pinRoot]) { port in
                RelayConfigFile.singleRoute(port: port, upstreams: ["127.0.0.1:\(freePort())"], route: RouteOptions(.kernel),
                                            log: LogOptions(accessLog: nil))
            }
            #expect(relay.waitForLog("relay started"), "\(relay.log)")
            #expect(relay.log.contains("removed the pin set of a relay that died"), "\(relay.log)")
            #expect(!PrivateBpffs.pins(under: "\(pinRoot)/relay-\(relay.pid)").isEmpty, "its own set is pinned in place of the leftover")
            #expect(relay.stopsGracefully())
        }

        /// CAP_NET_ADMIN is only for socket buffers past the host's maxima: with a target send
        /// buffer within net.core.wmem_max (the default 4 MiB on this host, whose maximum is
        /// 4 MiB) and the largest source buffer, 4 MiB (SO_RCVBUF of a 2-8 MiB body's 8 MiB of
        /// memory), within rmem_max the relay gives it up after setup,
        /// and bodies still take the kernel path with their buffers set by plain
        /// SO_RCVBUF/SO_SNDBUF. A host whose maxima are lower keeps it, with the reason logged.
        @Test func netAdminIsDroppedWhenBuffersFitTheHostMaxima() throws {
            let user = try SystemUser.ensure()
            let origin = try NginxOrigin(fileSizes: [Self.size])
            let sendMax = try Self.netCore("wmem_max")
            let sendBuffer = max(1 << 20, min(sendMax, 4 << 20))
            let fits = try Self.netCore("rmem_max") >= 4 << 20 && sendBuffer <= sendMax
            let relay = try RelayProcess { port in Self.config(port: port, origin: origin.port, user: user.name, sendBuffer: sendBuffer) }
            #expect(relay.waitForLog("switched user"), "\(relay.log)")
            for thread in try Self.threadStatus(of: relay) {
                for set in ["CapEff", "CapPrm", "CapBnd"] {
                    #expect(Self.mask(thread[set]) == (fits ? Self.bpfOnly : Self.runtimeMask), "\(set) (buffers fit: \(fits)): \(thread)")
                }
            }
            #expect(relay.log.contains("keeping CAP_NET_ADMIN") == !fits, "\(relay.log)")
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            #expect(try fetchAndCompare(client, size: Self.size).ok)
            let bytes = try relay.bodyBytes(atLeast: Self.size)
            #expect((bytes["kernel"] ?? 0) > Self.size / 2, "the body took the kernel path without the capability: \(bytes)")
            if fits {
                // Without the capability a reload cannot force a send buffer past wmem_max: it
                // is applied with the buffers capped, and says so.
                try relay.rewriteConfig(Self.config(port: relay.port, origin: origin.port, user: user.name,
                                                    sendBuffer: try Self.sendBufferPastTheMaximum()))
                relay.signal(SIGHUP)
                #expect(relay.waitForLog("send buffers stay at the maximum"), "\(relay.log)")
                #expect(try fetchAndCompare(client, size: Self.size).ok, "bodies still relay with the buffers capped")
            }
            #expect(relay.stopsGracefully())
        }

        /// A relay without kernel routes that splices keeps CAP_NET_ADMIN alone, and only when a
        /// spliced body's largest sizes (half the autotuning maxima, `tcp_rmem` and `tcp_wmem`)
        /// pass the host's `net.core` maxima: without it those sockets stay autotuned. One that
        /// only copies sets no size and keeps nothing.
        @Test(arguments: [RouteMode.splice, .copy])
        func relayWithoutKernelRoutesKeepsNetAdminOnlyForSpliceSizesPastTheHostMaxima(mode: RouteMode) throws {
            let user = try SystemUser.ensure()
            let origin = try NginxOrigin(fileSizes: [Self.size])
            let fits = try mode == .copy || #require(autotuningMaximum("tcp_rmem")) / 2 <= Self.netCore("rmem_max")
                && #require(autotuningMaximum("tcp_wmem")) / 2 <= Self.netCore("wmem_max")
            let relay = try RelayProcess { port in
                var config = RelayConfigFile.singleRoute(port: port, upstreams: ["127.0.0.1:\(origin.port)"], route: RouteOptions(mode),
                                                         log: LogOptions(accessLog: nil))
                config.user = user.name
                return config
            }
            #expect(relay.waitForLog("switched user"), "\(relay.log)")
            for thread in try Self.threadStatus(of: relay) {
                for set in ["CapEff", "CapPrm", "CapBnd"] {
                    #expect(Self.mask(thread[set]) == (fits ? 0 : Self.netAdminOnly), "\(mode) \(set) (sizes fit: \(fits)): \(thread)")
                }
            }
            #expect(relay.log.contains("keeping CAP_NET_ADMIN") == !fits, "\(relay.log)")
            let client = try TestHTTPClient(port: relay.port)
            defer { client.close() }
            #expect(try fetchAndCompare(client, size: Self.size).ok, "relaying works after the switch")
            #expect(relay.stopsGracefully())
        }

        /// Runs `executable relay` (through `launcher`) with a configuration for `user`, for a
        /// start that must fail, and returns what it printed.
        static func failedStart(user: String, executable: String, pinRoot: String, launcher: [String] = []) throws -> CommandResult {
            let path = NSTemporaryDirectory() + "odb-privileges-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).yaml"
            try config(port: freePort(), origin: freePort(), user: user).yaml.write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let command = launcher + [executable, "relay", "--config", path, "--pin", pinRoot]
            return try CommandRunner.run(command[0], Array(command.dropFirst()))
        }

        /// Fields of /proc/PID/task/*/status, one dictionary per thread of the relay, once every
        /// worker thread runs: the relay switches user and drops capabilities before it starts
        /// them, and logs "relay started" after.
        static func threadStatus(of relay: RelayProcess) throws -> [[String: String]] {
            try #require(relay.waitForLog("relay started"), "\(relay.log)")
            return try FileManager.default.contentsOfDirectory(atPath: "/proc/\(relay.pid)/task").map { task in
                let text = try String(contentsOfFile: "/proc/\(relay.pid)/task/\(task)/status", encoding: .utf8)
                var fields = [String: String]()
                for line in text.split(separator: "\n") {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                return fields
            }
        }

        static func mask(_ hex: String?) -> UInt64? {
            hex.flatMap { UInt64($0, radix: 16) }
        }
    }
}
