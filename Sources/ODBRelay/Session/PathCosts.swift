import Glibc

/// What splicing and copying a body cost one worker per body byte, by body size, learned from
/// the bodies of `auto_splice: measured` routes it sent each way; such a route splices a body
/// where splicing cost this worker less and copies it otherwise (docs/DESIGN.md, "Modes and how
/// `auto` decides").
///
/// Where splicing starts to pay depends on the host and on where the relay's peers are: on one
/// VM splicing cost the relay more than copying at 256 KiB on loopback and less across hosts,
/// and less at every size from 1 MiB on (docs/PERFORMANCE.md §4), so no fixed size fits every
/// relay. A body's cost is the time its connection's drive steps took on the worker thread while
/// the body was under way (`BodyCost`): CPU time, since the steps never block, read from the
/// monotonic clock, which costs a fraction of what the thread's CPU clock does.
final class PathCosts {
    /// Size classes by power of two: 2^17 (128 KiB and shorter) up to 2^26 (64 MiB and longer).
    static let classBits = 17...26
    /// Bodies each path is measured on in a class before the cheaper one is chosen.
    static let warmUp = 4
    /// One body in this many of a class takes the path that cost more, and one more of the
    /// cheaper path is measured, so both estimates follow the host as load changes.
    static let roundLength = 16
    /// Weight of a new measurement in a warm estimate.
    static let weight = 1.0 / 8

    struct Estimate: Equatable {
        var nanosPerByte = 0.0
        var samples = 0

        mutating func add(_ value: Double) {
            samples += 1
            let weight = samples <= PathCosts.warmUp ? 1 / Double(samples) : PathCosts.weight
            nanosPerByte += (value - nanosPerByte) * weight
        }
    }

    /// One size class: both estimates, and the bodies chosen in it so far.
    struct SizeClass: Equatable {
        var splice = Estimate()
        var copy = Estimate()
        var bodies = 0

        subscript(path: BodyTransfer.Path) -> Estimate {
            get { path == .splice ? splice : copy }
            set { if path == .splice { splice = newValue } else { copy = newValue } }
        }

        var isWarm: Bool { splice.samples >= PathCosts.warmUp && copy.samples >= PathCosts.warmUp }
        var cheaper: BodyTransfer.Path { splice.nanosPerByte <= copy.nanosPerByte ? .splice : .copy }
    }

    private(set) var classes = [SizeClass](repeating: SizeClass(), count: PathCosts.classBits.count)

    static func classIndex(_ length: UInt64) -> Int {
        let bits = 64 - length.leadingZeroBitCount - 1
        return min(max(bits, classBits.lowerBound), classBits.upperBound) - classBits.lowerBound
    }

    /// The path for a body of `length`, and whether its cost is to be measured.
    func choose(length: UInt64) -> (path: BodyTransfer.Path, measure: Bool) {
        let index = Self.classIndex(length)
        classes[index].bodies += 1
        let sizeClass = classes[index]
        guard sizeClass.isWarm else {
            return (sizeClass.splice.samples <= sizeClass.copy.samples ? .splice : .copy, true)
        }
        let cheaper = sizeClass.cheaper
        switch sizeClass.bodies % Self.roundLength {
        case 0: return (cheaper == .splice ? .copy : .splice, true)
        case Self.roundLength / 2: return (cheaper, true)
        default: return (cheaper, false)
        }
    }

    /// Adds the time a drive step took to the body measured in it; once the body is accounted,
    /// a body that finished on the path it started on enters its class's estimate.
    func add(nanoseconds: UInt64, to body: BodyTransfer) {
        guard var cost = body.cost else { return }
        cost.nanoseconds += nanoseconds
        guard body.accounted else {
            body.cost = cost
            return
        }
        body.cost = nil
        guard body.outcome == .finished, body.path == cost.path else { return }
        record(cost.path, length: cost.length, nanoseconds: cost.nanoseconds)
    }

    /// Enters one measured body into its class's estimate for `path`.
    func record(_ path: BodyTransfer.Path, length: UInt64, nanoseconds: UInt64) {
        guard length > 0 else { return }
        classes[Self.classIndex(length)][path].add(Double(nanoseconds) / Double(length))
    }

    /// Nanoseconds on the monotonic clock.
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

/// The measurement of one body whose path `PathCosts` chose: its path, its length and the drive
/// time it took so far.
struct BodyCost: Equatable {
    let path: BodyTransfer.Path
    let length: UInt64
    var nanoseconds: UInt64 = 0
}

/// The path a body starts on, and its measurement when `PathCosts` chose the path.
struct ChosenPath {
    let path: BodyTransfer.Path
    var cost: BodyCost?

    init(_ path: BodyTransfer.Path, cost: BodyCost? = nil) {
        self.path = path
        self.cost = cost
    }
}
