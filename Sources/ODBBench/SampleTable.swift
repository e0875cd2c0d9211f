import Foundation

/// Writes samples as CSV (one column per metric) and JSON (the same plus latency CDFs).
public enum SampleTable {
    /// CSV columns in order: name and how to print the value (empty when absent).
    public static let columns: [(String, @Sendable (BenchSample) -> Cell)] = [
        ("mode", { .text($0.mode) }),
        ("load", { .text($0.load) }),
        ("body_bytes", { .integer($0.bodyBytes) }),
        ("concurrency", { .integer($0.concurrency) }),
        ("chain", { .integer($0.chain) }),
        ("repetition", { .integer($0.repetition) }),
        ("origin", { .text($0.origin) }),
        ("target_rate", { .number($0.targetRate) }),
        ("requests", { .integer($0.requests) }),
        ("seconds", { .number($0.seconds) }),
        ("requests_per_second", { .number($0.requestsPerSecond) }),
        ("megabytes_per_second", { .number($0.megabytesPerSecond) }),
        ("latency_p50_ms", { .number($0.latencyP50Ms) }),
        ("latency_p90_ms", { .number($0.latencyP90Ms) }),
        ("latency_p99_ms", { .number($0.latencyP99Ms) }),
        ("latency_max_ms", { .number($0.latencyMaxMs) }),
        ("intermediate_cpu_seconds", { .number($0.intermediateCPUSeconds) }),
        ("intermediate_cpu_micros_per_request", { .number($0.intermediateCPUMicrosPerRequest) }),
        ("machine_cpu_seconds", { .number($0.machineCPUSeconds) }),
        ("machine_cpu_micros_per_request", { .number($0.machineCPUMicrosPerRequest) }),
        ("topology_cpu_seconds", { .number($0.topologyCPUSeconds) }),
        ("topology_cpu_micros_per_request", { .number($0.topologyCPUMicrosPerRequest) }),
        ("peak_intermediate_rss_kib", { .integer($0.peakIntermediateRSSKiB) }),
        ("mem_available_drop_kib", { .integer($0.memAvailableDropKiB) }),
        ("tcp_mem_peak_pages", { .integer($0.tcpMemPeakPages) }),
        ("tcp_mem_rise_pages", { .integer($0.tcpMemRisePages) }),
        ("kernel_body_bytes", { .integer($0.kernelBodyBytes) }),
        ("splice_body_bytes", { .integer($0.spliceBodyBytes) }),
        ("copy_body_bytes", { .integer($0.copyBodyBytes) }),
        ("kernel_share", { .number($0.kernelShare) }),
        ("fallbacks", { .integer($0.fallbacks) }),
        ("body_hops_per_request", { .number($0.bodyHopsPerRequest) }),
        ("virtual_held", { .integer($0.virtualHeld) }),
        ("virtual_passed", { .integer($0.virtualPassed) }),
        ("virtual_claims", { .integer($0.virtualClaims) }),
        ("virtual_faults", { .integer($0.virtualFaults) }),
        ("virtual_failed_claims", { .integer($0.virtualFailedClaims) }),
        ("planned_fallback_share", { .number($0.plannedFallbackShare) }),
        ("verified_requests", { .integer($0.verifiedRequests) }),
        ("errors", { .integer($0.errors) }),
        ("late_starts", { .integer($0.lateStarts) }),
        ("failed", { .flag($0.failed) }),
        ("reason", { .text($0.reason) }),
    ]

    /// The CSV text, RFC 4180 quoting where a field needs it.
    public static func csv(_ samples: [BenchSample]) -> String {
        var lines = [columns.map(\.0).joined(separator: ",")]
        for sample in samples {
            lines.append(columns.map { quote($0.1(sample).csv) }.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The JSON text: an array of objects with the CSV's keys (null where CSV is empty), plus
    /// `latency_cdf` for fixed-rate rows.
    public static func json(_ samples: [BenchSample]) throws(BenchError) -> Data {
        let objects: [[String: Any]] = samples.map { sample in
            var object = [String: Any]()
            for (name, cell) in columns { object[name] = cell(sample).json }
            object["latency_cdf"] = sample.latencyCDF ?? NSNull()
            return object
        }
        do {
            return try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
        } catch {
            throw .unparsable(tool: "JSONSerialization", detail: "\(error)")
        }
    }

    /// One value of a row, printed for CSV or JSON.
    public enum Cell: Sendable {
        case text(String)
        case number(Double?)
        case integer(Int?)
        case flag(Bool)

        var csv: String {
            switch self {
            case .text(let text): return text
            case .number(let value):
                guard let value, value.isFinite else { return "" }
                return String(format: "%.6g", value)
            case .integer(let value): return value.map(String.init) ?? ""
            case .flag(let value): return value ? "true" : "false"
            }
        }

        var json: Any {
            switch self {
            case .text(let text): return text
            case .number(let value):
                guard let value, value.isFinite else { return NSNull() }
                return value
            case .integer(let value): return value ?? NSNull()
            case .flag(let value): return value
            }
        }
    }

    static func quote(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
