import Foundation

/// Runs wrk (Debian's package) at saturation against one URL, or a mix of two.
public struct WrkRunner: Sendable {
    public let executable: String
    public let connections: Int
    public let threads: Int
    public let seconds: Double

    public init(executable: String = "/usr/bin/wrk", connections: Int, threads: Int, seconds: Double) {
        self.executable = executable
        self.connections = connections
        self.threads = max(1, min(threads, connections))
        self.seconds = seconds
    }

    /// Requests `/bytes/size`; with `mix`, `mix.percent` of requests get `mix.other.path` instead.
    public func run(target: HostPort, size: Int, mix: RequestMix? = nil,
                    scratchDirectory: String) throws(BenchError) -> LoadReport {
        var arguments = [
            "-t", String(threads), "-c", String(connections), "-d", "\(max(1, Int(seconds.rounded())))s",
            "--timeout", "10s", "--latency",
        ]
        if let mix {
            let script = scratchDirectory + "/wrk-mix-\(size)-\(mix.other.path.replacingOccurrences(of: "/", with: "_"))-\(mix.percent).lua"
            try Self.writeMixScript(path: script, size: size, mix: mix)
            arguments += ["-s", script]
        }
        arguments.append("http://\(target)/bytes/\(size)")
        return try LoadReport(wrkOutput: try runToCompletion(executable, arguments))
    }

    /// A wrk script asking for `mix` by its rule (`RequestMix`), counted per thread.
    static func writeMixScript(path: String, size: Int, mix: RequestMix) throws(BenchError) {
        let script = """
            local n = 0
            request = function()
              local mixed = (n * \(mix.percent)) % 100 >= 100 - \(mix.percent)
              n = n + 1
              if mixed then
                return wrk.format("GET", "\(mix.other.path)")
              end
              return wrk.format("GET", "\(BenchRequest(size: size).path)")
            end
            """
        do {
            try script.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw .system(operation: "write \(path)", errno: EIO)
        }
    }
}
