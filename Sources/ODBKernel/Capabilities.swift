import Foundation

/// The effective capabilities of this process, read from /proc/self/status.
///
/// Checked before any BPF call so a missing privilege is reported by name, not as EPERM.
public struct Capabilities: Sendable {
    public static let netAdmin = (bit: 12, name: "CAP_NET_ADMIN")
    public static let sysAdmin = (bit: 21, name: "CAP_SYS_ADMIN")
    public static let perfmon = (bit: 38, name: "CAP_PERFMON")
    public static let bpf = (bit: 39, name: "CAP_BPF")

    public let effective: UInt64

    public init(effective: UInt64) {
        self.effective = effective
    }

    /// Reads the current process's effective set.
    public static func current() -> Capabilities {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let bits = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return Capabilities(effective: 0) }
        return Capabilities(effective: bits)
    }

    public func has(_ capability: (bit: Int, name: String)) -> Bool {
        effective & (1 << UInt64(capability.bit)) != 0
    }

    /// Fails with the first capability that loading and attaching the programs needs and lacks.
    ///
    /// Measured as a non-root user (docs/OPERATIONS.md): without CAP_BPF no program loads;
    /// without CAP_PERFMON the verifier refuses the verdict (it reads the socket's copied_seq
    /// and the skb's sequence number through bpf_cast_to_kern_ctx and CO-RE); without
    /// CAP_NET_ADMIN the SOCKHASH maps cannot be created. CAP_SYS_ADMIN covers all three.
    public func requireForKernelSetup(operation: String) throws(KernelError) {
        if let missing = missingForKernelSetup {
            throw .missingCapability(missing.name, operation: operation)
        }
    }

    /// The first capability kernel setup needs and this process lacks, if any.
    public var missingForKernelSetup: (bit: Int, name: String)? {
        if has(Self.sysAdmin) { return nil }
        return [Self.bpf, Self.perfmon, Self.netAdmin].first { !has($0) }
    }
}
