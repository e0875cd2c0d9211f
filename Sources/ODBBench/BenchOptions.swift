/// Everything a bench run needs to know, resolved from the command line.
public struct BenchOptions: Sendable {
    public var modes: [BenchMode]
    public var points: [SweepPoint]
    public var repetitions: Int
    /// Seconds of measured load per configuration.
    public var duration: Double
    public var outputDirectory: String
    public var origin: OriginKind
    /// Workers of every intermediate (relay, nginx, HAProxy) and of the origin.
    public var workers: Int
    /// wrk threads; the load generator shares the machine with everything else.
    public var loadThreads: Int
    /// Percent of kernel-faults requests asked at a size below the kernel threshold.
    public var faultPercent: Int
    public var externalProxy: HostPort?
    /// The `odb-redirect` binary to start relays, the origin and `status` from.
    public var odbRedirect: String
    /// Body bytes the checking pass reads per configuration (at least 4 requests, at most 200).
    public var verifyBytes: Int
    /// What generates the load at saturation.
    public var driver = LoadDriver.wrk
    /// Each tier in its own network namespace joined by veth links (`NetworkNamespaces`).
    public var separateNamespaces = false
    /// tbf rate on every link between namespaces (tc syntax, e.g. `10gbit`); nil for none.
    public var linkRate: String?
    /// The splice thresholds of relays whose routes run in mode auto.
    public var autoSplice = AutoSpliceThresholds()

    public init(modes: [BenchMode], points: [SweepPoint], repetitions: Int, duration: Double,
                outputDirectory: String, origin: OriginKind, workers: Int, loadThreads: Int,
                faultPercent: Int, externalProxy: HostPort?, odbRedirect: String, verifyBytes: Int = 32 << 20) {
        self.modes = modes
        self.points = points
        self.repetitions = repetitions
        self.duration = duration
        self.outputDirectory = outputDirectory
        self.origin = origin
        self.workers = workers
        self.loadThreads = loadThreads
        self.faultPercent = faultPercent
        self.externalProxy = externalProxy
        self.odbRedirect = odbRedirect
        self.verifyBytes = verifyBytes
    }

    /// Requests of the checking pass for bodies of `size`.
    func verifyRequests(size: Int) -> Int {
        max(4, min(200, verifyBytes / max(size, 1)))
    }
}

/// The load generator at saturation (fixed-rate runs always use the built-in one, which
/// corrects for coordinated omission).
public enum LoadDriver: Sendable, Equatable {
    /// wrk from Debian's package.
    case wrk
    /// Locust (PyPI) headless, with a locustfile; nil for the bench's own, which checks bodies.
    case locust(String?)

    var name: String {
        switch self {
        case .wrk: return "wrk"
        case .locust: return "locust"
        }
    }
}
