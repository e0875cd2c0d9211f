import Foundation
import ODBTestSupport
import Glibc
@testable import ODBKernel

/// A private pin directory and cgroup v2 for one test, removed when the test ends.
final class KernelFixture {
    let pinDirectory: String
    let cgroupPath: String

    init(_ name: String = #function) throws {
        let tag = "\(name.prefix(while: { $0 != "(" }))-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        pinDirectory = "/sys/fs/bpf/odb-test-\(tag)"
        guard let mount = Filesystems.cgroup2MountPoint() else {
            throw FixtureError("no cgroup2 filesystem is mounted; .ci/run mounts one")
        }
        cgroupPath = "\(mount)/odb-test-\(tag)"
        guard mkdir(cgroupPath, 0o755) == 0 else {
            throw FixtureError("cannot create \(cgroupPath): \(String(cString: strerror(errno))) (tests need root)")
        }
    }

    deinit {
        _ = try? CgroupAttachment.detachAll(pinDirectory: pinDirectory)
        // A cgroup can only be removed once its processes have exited.
        _ = eventually(poll: 0.1) { rmdir(cgroupPath) == 0 || errno == ENOENT }
    }

    /// Starts `python3 -c script` as a member of this fixture's cgroup.
    func spawnInCgroup(python script: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "echo $$ > \(cgroupPath)/cgroup.procs && exec python3 -c \"$0\"", script]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        return process
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension KernelFixture {
    /// One line a child printed, without its newline.
    static func readLine(_ handle: FileHandle) -> String {
        var line = [UInt8]()
        while let byte = try? handle.read(upToCount: 1), let first = byte.first, first != UInt8(ascii: "\n") {
            line.append(first)
        }
        return String(decoding: line, as: UTF8.self)
    }

    /// False only when bpftool says no object has the id; any other failure counts as known,
    /// so that a check that an object is gone cannot pass on a bpftool that failed to run.
    static func bpftoolKnows(_ kind: String, id: Int) -> Bool {
        guard let result = try? CommandRunner.run("/usr/sbin/bpftool", [kind, "show", "id", String(id)]) else { return true }
        return result.status == 0 || !result.stderr.contains("No such file or directory")
    }

    /// Ids of the maps pinned under `directory`, from bpftool's JSON.
    static func pinnedMapIDs(_ directory: String) throws -> [Int] {
        try KernelObjects.Pin.maps.map { name in
            let result = try CommandRunner.run("/usr/sbin/bpftool", ["-j", "map", "show", "pinned", directory + "/" + name])
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            guard let id = object?["id"] as? Int else { throw FixtureError("bpftool did not show \(name): \(result.stderr)") }
            return id
        }
    }
}

/// A connected loopback TCP pair made by this (test) process.
final class LoopbackPair {
    let fds: [Int32]
    let clientPort: UInt16

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(listener, raw, length) == 0 && listen(listener, 8) == 0 && getsockname(listener, raw, &length) == 0
            }
        }
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) == 0 }
        }
        guard listening, connected else { throw FixtureError("loopback connection failed") }
        let server = accept(listener, nil, nil)
        var local = sockaddr_in()
        var localLength = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(client, $0, &localLength) }
        }
        fds = [listener, client, server]
        clientPort = UInt16(bigEndian: local.sin_port)
    }

    deinit {
        for fd in fds { close(fd) }
    }
}
