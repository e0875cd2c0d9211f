import Logging

/// Whether the workers redirect bodies in the kernel, decided once at startup from the kernel
/// self-test.
///
/// A failed self-test does not stop the relay, not even one asked for `--mode kernel`: the
/// bodies of kernel and auto routes move by splice instead, which is correct on any kernel. The
/// startup warning says so once, and the fallback counter `kernel_selftest` (in `status` and
/// `odb_fallbacks_total`) counts every body that went that way.
public enum KernelPathDecision: Equatable, Sendable {
    case redirect
    case spliceInstead(reason: String)

    public init(_ result: KernelSelfTest.Result) {
        switch result {
        case .passed: self = .redirect
        case let .failed(reason): self = .spliceInstead(reason: reason)
        }
    }

    /// The one startup line about the self-test.
    static func log(_ result: KernelSelfTest.Result, seconds: Double, to logger: Logger) {
        let took: Logger.Metadata.Value = "\((seconds * 1000).rounded() / 1000)"
        switch result {
        case let .passed(bytes, redirected):
            logger.notice("kernel self-test passed: redirected bytes arrive once and in order", metadata: [
                "bytes": "\(bytes)", "redirected": "\(redirected)", "seconds": took,
            ])
        case let .failed(reason):
            logger.warning("""
                kernel self-test failed: \(reason); kernel and auto routes splice their bodies instead \
                (counted as fallback reason kernel_selftest)
                """, metadata: ["seconds": took])
        }
    }
}
