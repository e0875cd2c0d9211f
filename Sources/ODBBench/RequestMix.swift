/// What one request asks for: `size` pattern bytes at `prefix/bytes/size`. Every origin the
/// bench runs answers any path ending in `/bytes/N`, so the prefix only picks a relay route.
public struct BenchRequest: Sendable, Equatable {
    public var prefix: String
    public var size: Int

    public init(size: Int, prefix: String = "") {
        self.prefix = prefix
        self.size = size
    }

    public var path: String { "\(prefix)/bytes/\(size)" }
}

/// A second request asked by a share of the requests: kernel-faults asks one byte below the
/// kernel threshold, virtual-faults asks under the prefix whose route faults. Request `n`
/// (from 0) asks for `other` when `n * percent % 100 >= 100 - percent`, which spreads them
/// evenly: after any number of requests the share is within one request of `percent`, not a
/// random draw, so a short run under load measures the share it planned. Every load generator
/// follows this rule.
public struct RequestMix: Sendable {
    public let other: BenchRequest
    public let percent: Int

    public init(other: BenchRequest, percent: Int) {
        self.other = other
        self.percent = percent
    }

    /// The request number `index` sends, when the others send `usual`.
    func request(_ index: Int, usual: BenchRequest) -> BenchRequest {
        index * percent % 100 >= 100 - percent ? other : usual
    }

    /// The mix a mode's load follows at body size `size`; nil for modes without faults.
    static func forMode(_ mode: BenchMode, size: Int, percent: Int) -> RequestMix? {
        guard percent > 0 else { return nil }
        switch mode {
        case .kernelFaults: return RequestMix(other: BenchRequest(size: max(size - 1, 0)), percent: percent)
        case .virtualFaults: return RequestMix(other: BenchRequest(size: size, prefix: BenchMode.faultPrefix), percent: percent)
        default: return nil
        }
    }
}
