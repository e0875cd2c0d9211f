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
    static let autoSpliceMinBody: UInt64 = 256 << 10
    static let autoMinBody: UInt64 = 1 << 20
    static let maxBody: UInt64 = 4 << 20
    static let small = PathPolicy.Body.length(minBody - 1)
    static let medium = PathPolicy.Body.length(minBody)
    static let spliceSized = PathPolicy.Body.length(autoSpliceMinBody)
    static let autoSized = PathPolicy.Body.length(autoMinBody)
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
        // auto: kernel from `auto_min_body` to `kernel_max_body`, splice from
        // `auto_splice_min_body` on outside that band, copy for unknown lengths and shorter
        // bodies; only bodies under `kernel_min_body` are counted.
        Row(mode: .auto, kernel: true, selfTestFailed: false, body: small, path: .copy, fallback: .smallBody),
        Row(mode: .auto, kernel: true, selfTestFailed: false, body: medium, path: .copy, fallback: nil),
        Row(mode: .auto, kernel: true, selfTestFailed: false, body: .length(autoSpliceMinBody - 1), path: .copy, fallback: nil),
        Row(mode: .auto, kernel: true, selfTestFailed: false, body: spliceSized, path: .splice, fallback: nil),
        Row(mode: .auto, kernel: true, selfTestFailed: false, body: .length(autoMinBody - 1), path: .splice, fallback: nil),
        Row(mode: .auto, kernel: true, selfTestFailed: false, body: autoSized, path: .kernel, fallback: nil),
        Row(mode: .auto, kernel: true, selfTestFailed: false, body: .length(maxBody), path: .kernel, fallback: nil),
        Row(mode: .auto, kernel: true, selfTestFailed: false, body: large, path: .splice, fallback: nil),
        Row(mode: .auto, kernel: true, selfTestFailed: false, body: .chunked, path: .copy, fallback: nil),
        Row(mode: .auto, kernel: true, selfTestFailed: false, body: .tunnel, path: .copy, fallback: nil),
        Row(mode: .auto, kernel: true, selfTestFailed: false, body: .untilClose, path: .copy, fallback: .unsupported(nil)),
        Row(mode: .auto, kernel: false, selfTestFailed: true, body: autoSized, path: .splice, fallback: .kernelSelfTest),
        Row(mode: .auto, kernel: false, selfTestFailed: true, body: medium, path: .copy, fallback: nil),
        Row(mode: .auto, kernel: false, selfTestFailed: false, body: spliceSized, path: .splice, fallback: nil),
    ]

    @Test(arguments: rows) func decides(_ row: Row) {
        let policy = PathPolicy(mode: row.mode, kernelMinBody: Self.minBody, autoSpliceMinBody: Self.autoSpliceMinBody,
                                autoLocalSpliceMinBody: Self.autoSpliceMinBody,
                                autoMinBody: Self.autoMinBody, kernelMaxBody: Self.maxBody,
                                kernelAvailable: row.kernel, kernelSelfTestFailed: row.selfTestFailed)
        let decision = policy.decide(row.body, localEndpointReceives: false)
        #expect(decision.path == row.path, "\(row)")
        #expect(decision.fallback == row.fallback, "\(row)")
    }

    /// `kernel_min_body` bounds `auto` too: with `auto_min_body` below it, the kernel band starts
    /// at `kernel_min_body`, and without a splice band what lies below is copied and counted.
    @Test func autoNeverRedirectsBelowTheKernelMinimum() {
        let policy = PathPolicy(mode: .auto, kernelMinBody: Self.autoMinBody, autoSpliceMinBody: Self.maxBody + 1,
                                autoLocalSpliceMinBody: Self.maxBody + 1,
                                autoMinBody: Self.minBody, kernelMaxBody: Self.maxBody, kernelAvailable: true, kernelSelfTestFailed: false)
        #expect(policy.decide(Self.medium, localEndpointReceives: false) == PathDecision(.copy, counting: .smallBody))
        #expect(policy.decide(.length(Self.autoMinBody - 1), localEndpointReceives: false) == PathDecision(.copy, counting: .smallBody))
        #expect(policy.decide(Self.autoSized, localEndpointReceives: false) == PathDecision(.kernel))
    }

    /// The splice band reaches up to where the kernel band starts, `kernel_min_body` when that
    /// lies above `auto_min_body`; spliced bodies under `kernel_min_body` are auto's choice and
    /// count nothing.
    @Test func autoSplicesUpToTheKernelBand() {
        let policy = PathPolicy(mode: .auto, kernelMinBody: Self.autoMinBody, autoSpliceMinBody: Self.autoSpliceMinBody,
                                autoLocalSpliceMinBody: Self.autoSpliceMinBody,
                                autoMinBody: Self.minBody, kernelMaxBody: Self.maxBody, kernelAvailable: true, kernelSelfTestFailed: false)
        #expect(policy.decide(Self.medium, localEndpointReceives: false) == PathDecision(.copy, counting: .smallBody))
        #expect(policy.decide(Self.spliceSized, localEndpointReceives: false) == PathDecision(.splice))
        #expect(policy.decide(.length(Self.autoMinBody - 1), localEndpointReceives: false) == PathDecision(.splice))
        #expect(policy.decide(Self.autoSized, localEndpointReceives: false) == PathDecision(.kernel))
    }

    /// `kernel_max_body` ends the kernel band alone: with the band moved past it, bodies on
    /// either side of it are spliced.
    @Test func autoSplicesPastTheKernelMaximumWithoutAKernelBand() {
        let policy = PathPolicy(mode: .auto, kernelMinBody: Self.minBody, autoSpliceMinBody: Self.autoSpliceMinBody,
                                autoLocalSpliceMinBody: Self.autoSpliceMinBody,
                                autoMinBody: Self.maxBody * 2, kernelMaxBody: Self.maxBody, kernelAvailable: true, kernelSelfTestFailed: false)
        #expect(policy.decide(.length(Self.maxBody), localEndpointReceives: false) == PathDecision(.splice))
        #expect(policy.decide(Self.large, localEndpointReceives: false) == PathDecision(.splice))
        #expect(policy.decide(.length(Self.maxBody * 4), localEndpointReceives: false) == PathDecision(.splice))
    }

    /// The default bands: copy below `auto_splice_min_body` and for every body of unknown
    /// length, splice from there on at any length; no body in the kernel, since `auto_min_body`
    /// lies past `kernel_max_body`.
    @Test func autoWithTheDefaultsTakesTheMeasuredBands() {
        let defaults = RouteConfig(upstream: "origin")
        let policy = PathPolicy(route: defaults, kernelAvailable: true, kernelSelfTestFailed: false)
        let splice = UInt64(defaults.autoSpliceMinBody), upper = UInt64(defaults.kernelMaxBody)
        #expect(defaults.autoMinBody > defaults.kernelMaxBody)
        #expect(policy.decide(.length(0), localEndpointReceives: false) == PathDecision(.copy, counting: .smallBody))
        for body: PathPolicy.Body in [.length(splice - 1), .chunked, .tunnel] {
            #expect(policy.decide(body, localEndpointReceives: false) == PathDecision(.copy), "\(body)")
        }
        for body: PathPolicy.Body in [.length(splice), .length(4 << 20), .length(upper), .length(upper + 1), .length(1 << 40)] {
            #expect(policy.decide(body, localEndpointReceives: false) == PathDecision(.splice), "\(body)")
        }
        let local = UInt64(defaults.autoLocalSpliceMinBody)
        #expect(local > splice)
        #expect(policy.decide(.length(splice), localEndpointReceives: true) == PathDecision(.copy))
        #expect(policy.decide(.length(local - 1), localEndpointReceives: true) == PathDecision(.copy))
        #expect(policy.decide(.length(local), localEndpointReceives: true) == PathDecision(.splice))
    }

    /// A receiver on this host gets spliced bodies only from `auto_local_splice_min_body` on
    /// (and from `auto_splice_min_body` at the earliest); the kernel band and the other modes
    /// do not ask where the receiver is, nor does auto for a body it copies anyway.
    @Test func autoSplicesToAReceiverOnThisHostFromItsOwnThreshold() {
        let local = Self.autoSpliceMinBody * 2
        let policy = PathPolicy(mode: .auto, kernelMinBody: Self.minBody, autoSpliceMinBody: Self.autoSpliceMinBody,
                                autoLocalSpliceMinBody: local, autoMinBody: Self.autoMinBody, kernelMaxBody: Self.maxBody,
                                kernelAvailable: true, kernelSelfTestFailed: false)
        var asked = 0
        func onThisHost() -> Bool { asked += 1; return true }
        #expect(policy.decide(Self.spliceSized, localEndpointReceives: onThisHost()) == PathDecision(.copy))
        #expect(policy.decide(.length(local - 1), localEndpointReceives: onThisHost()) == PathDecision(.copy))
        #expect(policy.decide(Self.spliceSized, localEndpointReceives: false) == PathDecision(.splice))
        #expect(asked == 2)
        #expect(policy.decide(.length(local), localEndpointReceives: onThisHost()) == PathDecision(.splice))
        #expect(policy.decide(Self.autoSized, localEndpointReceives: onThisHost()) == PathDecision(.kernel))
        #expect(policy.decide(Self.large, localEndpointReceives: onThisHost()) == PathDecision(.splice))
        for body: PathPolicy.Body in [Self.small, Self.medium, .chunked, .tunnel] {
            #expect(policy.decide(body, localEndpointReceives: onThisHost()).path == .copy, "\(body)")
        }
        #expect(asked == 2)
        let below = PathPolicy(mode: .auto, kernelMinBody: Self.minBody, autoSpliceMinBody: Self.autoSpliceMinBody,
                               autoLocalSpliceMinBody: Self.minBody, autoMinBody: Self.autoMinBody, kernelMaxBody: Self.maxBody,
                               kernelAvailable: true, kernelSelfTestFailed: false)
        #expect(below.decide(.length(Self.autoSpliceMinBody - 1), localEndpointReceives: true) == PathDecision(.copy))
        let splice = PathPolicy(mode: .splice, kernelMinBody: Self.minBody, autoSpliceMinBody: Self.autoSpliceMinBody,
                                autoLocalSpliceMinBody: local, autoMinBody: Self.autoMinBody, kernelMaxBody: Self.maxBody,
                                kernelAvailable: true, kernelSelfTestFailed: false)
        #expect(splice.decide(Self.spliceSized, localEndpointReceives: onThisHost()) == PathDecision(.splice))
        #expect(asked == 2)
    }

    /// A kernel path is only chosen where one exists.
    @Test func neverChoosesTheKernelWithoutOne() {
        let bodies: [PathPolicy.Body] = [Self.small, Self.medium, Self.autoSized, Self.large, .chunked, .untilClose, .tunnel]
        for mode in [RelayMode.copy, .splice, .kernel, .auto] {
            for failed in [false, true] {
                let policy = PathPolicy(mode: mode, kernelMinBody: Self.minBody, autoSpliceMinBody: Self.autoSpliceMinBody,
                                        autoLocalSpliceMinBody: Self.autoSpliceMinBody,
                                        autoMinBody: Self.autoMinBody, kernelMaxBody: Self.maxBody,
                                        kernelAvailable: false, kernelSelfTestFailed: failed)
                for body in bodies { #expect(policy.decide(body, localEndpointReceives: false).path != .kernel, "\(mode) \(body)") }
            }
        }
    }
}
