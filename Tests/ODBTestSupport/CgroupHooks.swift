import Foundation

/// What bpftool says is attached to a cgroup, and where a process's cgroup v2 is.
public enum CgroupHooks {
    /// Ids of the programs `bpftool cgroup show` lists for `cgroup` under `name`.
    public static func programIDs(_ cgroup: String, named name: String = "odb_sockops") throws -> [Int] {
        let result = try CommandRunner.run("/usr/sbin/bpftool", ["-j", "cgroup", "show", cgroup])
        guard result.status == 0 else { throw CommandFailed(description: "bpftool cgroup show \(cgroup): \(result.stderr)") }
        // bpftool prints nothing at all, not an empty list, for a cgroup without programs.
        guard !result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return [] }
        let entries = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
        return entries.filter { $0["name"] as? String == name }.compactMap { $0["id"] as? Int }
    }

    /// A command prefix that moves the shell into `cgroup` and then runs the rest of the
    /// command line in its place (same pid).
    public static func launcher(joining cgroup: String) -> [String] {
        ["/bin/sh", "-c", "echo $$ > \(cgroup)/cgroup.procs && exec \"$@\"", "sh"]
    }

    /// The cgroup2 mount point, from /proc/self/mountinfo.
    public static func mountPoint() throws -> String {
        for line in (readProcFile("/proc/self/mountinfo") ?? "").split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2, halves[1].hasPrefix("cgroup2 ") else { continue }
            let fields = halves[0].split(separator: " ")
            if fields.count > 4 { return String(fields[4]) }
        }
        throw CommandFailed(description: "no cgroup2 filesystem is mounted")
    }

    /// The cgroup v2 directory process `pid` belongs to.
    public static func cgroup(of pid: Int32) throws -> String {
        let membership = try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)
        guard let line = membership.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else {
            throw CommandFailed(description: "process \(pid) has no cgroup v2 membership")
        }
        let relative = String(line.dropFirst(3))
        return try relative == "/" ? mountPoint() : mountPoint() + relative
    }

    public struct CommandFailed: Error, CustomStringConvertible {
        public let description: String
    }
}
