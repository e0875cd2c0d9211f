import ODBConfig
import Testing
@testable import ODBRelay

/// `PathPolicy` as a table: every mode against every kind of body, with and without a kernel path.
@Suite struct PathPolicyTests {
    struct Row: CustomStringConvertible {
        let mode: RelayMode
        let kernel: Bool
        let selfTestFailed: Bool
        let body: PathPolicy.Body
        let path: BodyTransfer.Path
        let fallback: FallbackReason?

        var description: String { "\(mode) kernel=\(kernel) selfTestFailed=\(selfTestFailed) \(body)" }
    }

    static let minBody: UInt64 = 64 << 10
    static let maxBody: UInt64 = 4 << 20
    static let small = PathPolicy.Body.length(minBody - 1)
    static let medium = PathPolicy.Body.length(minBody)
    static let large = PathPolicy.Body.length(maxBody + 1)

    static let rows: [Row] = [
        // copy: always copy, never counted.
        Row(mode: .copy, kernel: true, selfTestFailed: false, body: medium, path: .copy, fallback: nil),
        Row(mode: .copy, kernel: true, selfTestFailed: false, body: .chunked, path: .copy, fallback: nil),
        Row(mode: .copy, kernel: true, selfTestFailed: false, body: .untilClose, path: .copy, fallback: nil),
        Row(mode: .copy, kernel: false, selfTestFailed: false, body: .tunnel, path: .copy, fallback: nil),
        // splice: chunked is copied, the rest spliced, nothing counted.
        Row(mode: .splice, kernel: true, selfTestFailed: false, body: small, path: .splice, fallback: nil),
        Row(mode: .splice, kernel: true, selfTestFailed: false, body: .chunked, path: .copy, fallback: nil),
        Row(mode: .splice, kernel: false, selfTestFailed: false, body: .untilClose, path: .splice, fallback: nil),
        Row(mode: .splice, kernel: false, selfTestFailed: false, body: .tunnel, path: .splice, fallback: nil),
        // kernel: small bodies copied and counted; without a kernel path spliced (chunked copied).
        Row(mode: .kernel, kernel: true, selfTestFailed: false, body: small, path: .copy, fallback: .smallBody),
        Row(mode: .kernel, kernel: true, selfTestFailed: false, body: medium, path: .kernel, fallback: nil),
        Row(mode: .kernel, kernel: true, selfTestFailed: false, body: large, path: .kernel, fallback: nil),
        Row(mode: .kernel, kernel: true, selfTestFailed: false, body: .chunked, path: .kernel, fallback: nil),
        Row(mode: .kernel, kernel: true, selfTestFailed: false, body: .untilClose, path: .kernel, fallback: nil),
        Row(mode: .kernel, kernel: true, selfTestFailed: false, body: .tunnel, path: .kernel, fallback: nil),
        Row(mode: .kernel, kernel: false, selfTestFailed: false, body: medium, path: .splice, fallback: nil),
        Row(mode: .kernel, kernel: false, selfTestFailed: true, body: medium, path: .splice, fallback: .kernelSelfTest),
        Row(mode: .kernel, kernel: false, selfTestFailed: true, body: .chunked, path: .copy, fallback: .kernelSelfTest),
        Row(mode: .kernel, kernel: false, selfTestFailed: true, body: small, path: .copy, fallback: .smallBody),
        Row(mode: .kernel, kernel: false, selfTestFailed: false, body: .untilClose, path: .splice, fallback: .unsupported(nil)),
        // auto: kernel between the thresholds, copy for unknown or large lengths.
        Row(mode: .auto, kernel: true, selfTestFailed: false, body: small, path: .copy, fallback: .smallBody),
        Row(mode: .auto, kernel: true, selfTestFailed: false, body: medium, path: .kernel, fallback: nil),
        Row(mode: .auto, kernel: true, selfTestFailed: false, body: .length(maxBody), path: .kernel, fallback: nil),
        Row(mode: .auto, kernel: true, selfTestFailed: false, body: large, path: .copy, fallback: nil),
        Row(mode: .auto, kernel: true, selfTestFailed: false, body: .chunked, path: .copy, fallback: nil),
        Row(mode: .auto, kernel: true, selfTestFailed: false, body: .tunnel, path: .copy, fallback: nil),
        Row(mode: .auto, kernel: true, selfTestFailed: false, body: .untilClose, path: .copy, fallback: .unsupported(nil)),
        Row(mode: .auto, kernel: false, selfTestFailed: true, body: medium, path: .splice, fallback: .kernelSelfTest),
    ]

    @Test(arguments: rows) func decides(_ row: Row) {
        let policy = PathPolicy(mode: row.mode, kernelMinBody: Self.minBody, kernelMaxBody: Self.maxBody,
                                kernelAvailable: row.kernel, kernelSelfTestFailed: row.selfTestFailed)
        let decision = policy.decide(row.body)
        #expect(decision.path == row.path, "\(row)")
        #expect(decision.fallback == row.fallback, "\(row)")
    }

    /// With the default `kernel_max_body` (0) the kernel range of `auto` is empty: every body
    /// is copied, and a short one is still counted as short.
    @Test func autoWithTheDefaultMaximumCopiesEveryBody() {
        let policy = PathPolicy(mode: .auto, kernelMinBody: Self.minBody, kernelMaxBody: UInt64(RouteConfig.defaultKernelMaxBody),
                                kernelAvailable: true, kernelSelfTestFailed: false)
        #expect(policy.decide(.length(0)) == PathDecision(.copy, counting: .smallBody))
        #expect(policy.decide(Self.small) == PathDecision(.copy, counting: .smallBody))
        for body: PathPolicy.Body in [Self.medium, .length(1 << 20), .length(64 << 20), Self.large, .chunked, .tunnel] {
            #expect(policy.decide(body) == PathDecision(.copy), "\(body)")
        }
    }

    /// A kernel path is only chosen where one exists.
    @Test func neverChoosesTheKernelWithoutOne() {
        let bodies: [PathPolicy.Body] = [Self.small, Self.medium, Self.large, .chunked, .untilClose, .tunnel]
        for mode in [RelayMode.copy, .splice, .kernel, .auto] {
            for failed in [false, true] {
                let policy = PathPolicy(mode: mode, kernelMinBody: Self.minBody, kernelMaxBody: Self.maxBody,
                                        kernelAvailable: false, kernelSelfTestFailed: failed)
                for body in bodies { #expect(policy.decide(body).path != .kernel, "\(mode) \(body)") }
            }
        }
    }
}
