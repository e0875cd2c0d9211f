import Foundation
import Glibc

/// The machine and tools a run measured on, written as machine.json.
public enum MachineInfo {
    /// Kernel, CPU, cores, memory and the versions of every tool in the topology.
    public static func describe(odbRedirect: String) -> [String: Any] {
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let cpuinfo = ProcFS.read("/proc/cpuinfo") ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let memTotal = ProcFS.read("/proc/meminfo").flatMap { ProcFS.kibField("MemTotal:", in: $0) } ?? 0
        return [
            "date": ISO8601DateFormatter().string(from: Date()),
            "kernel": release,
            "cpu_model": model,
            "cores": sysconf(Int32(_SC_NPROCESSORS_ONLN)),
            "memory_kib": memTotal,
            "tools": [
                "wrk": firstLine(["/usr/bin/wrk", "-v"]),
                "nginx": firstLine([NginxInstance.executable, "-v"]),
                "haproxy": firstLine([HAProxyChain.executable, "-v"]),
                "odb-redirect": odbRedirect,
            ],
        ]
    }

    /// One line for a report: CPU, cores, memory, kernel and the proxies' versions.
    public static func summary(odbRedirect: String) -> String {
        let info = describe(odbRedirect: odbRedirect)
        let tools = info["tools"] as? [String: String] ?? [:]
        let memory = (info["memory_kib"] as? Int ?? 0) >> 20
        return "\(info["cpu_model"] ?? "?"), \(info["cores"] ?? "?") cores, \(memory) GiB, Linux \(info["kernel"] ?? "?"); "
            + ["wrk", "nginx", "haproxy"].map { tools[$0] ?? "?" }.joined(separator: "; ")
    }

    /// The first line a version command prints on stdout or stderr (wrk and nginx use stderr).
    static func firstLine(_ command: [String]) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        guard (try? process.run()) != nil else { return "not found" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
    }
}
