/// Everything that can stop the benchmark or one of its parts, with the context to act on it.
public enum BenchError: Error, CustomStringConvertible, Sendable {
    /// A system call failed; `operation` names what was being done.
    case system(operation: String, errno: Int32)
    /// A helper program (wrk, nginx, haproxy, a relay) could not start or died early.
    case processFailed(name: String, detail: String)
    /// A server did not accept connections in time.
    case notListening(name: String, port: Int, log: String)
    /// Output of a tool did not have the expected shape.
    case unparsable(tool: String, detail: String)
    /// An HTTP exchange went wrong: status, framing, length or content.
    case badResponse(String)
    /// An argument or option value the bench cannot use.
    case invalidArgument(String)
    /// Some configurations failed; their rows say why.
    case configurationsFailed(count: Int, outputDirectory: String)

    public var description: String {
        switch self {
        case let .system(operation, errno):
            return "\(operation): \(String(cString: strerror(errno)))"
        case let .processFailed(name, detail):
            return "\(name) failed: \(detail)"
        case let .notListening(name, port, log):
            return "\(name) did not listen on port \(port) in time" + (log.isEmpty ? "" : "; its log:\n\(log)")
        case let .unparsable(tool, detail):
            return "could not parse \(tool) output: \(detail)"
        case let .badResponse(detail):
            return "bad response: \(detail)"
        case let .invalidArgument(detail):
            return detail
        case let .configurationsFailed(count, directory):
            return "\(count) configuration(s) failed; see failed/reason in \(directory)/samples.csv"
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension BenchError {
    /// The error for a system call that just failed, reading `errno` at once.
    static func lastSystemError(_ operation: String) -> BenchError {
        .system(operation: operation, errno: errno)
    }
}
