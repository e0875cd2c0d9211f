import Testing
@testable import ODBRelay

/// How a worker's measured costs choose between splicing and copying: both paths measured
/// first, then the cheaper one, with one body per round on the other path so a change on the
/// host turns the choice.
@Suite struct PathCostsTests {
    static let length: UInt64 = 256 << 10

    /// Chooses one body of `length` and, when measured, records it at `nanosPerByte` for its path.
    @discardableResult
    static func send(_ costs: PathCosts, length: UInt64 = length, splice: Double, copy: Double) -> BodyTransfer.Path {
        let choice = costs.choose(length: length)
        if choice.measure {
            let cost = choice.path == .splice ? splice : copy
            costs.record(choice.path, length: length, nanoseconds: UInt64(cost * Double(length)))
        }
        return choice.path
    }

    @Test func bothPathsAreMeasuredBeforeEitherIsPreferred() {
        let costs = PathCosts()
        let first = (0..<(2 * PathCosts.warmUp)).map { _ in Self.send(costs, splice: 1, copy: 2) }
        #expect(first.filter { $0 == .splice }.count == PathCosts.warmUp)
        #expect(first.filter { $0 == .copy }.count == PathCosts.warmUp)
        let sizeClass = costs.classes[PathCosts.classIndex(Self.length)]
        #expect(sizeClass.splice == PathCosts.Estimate(nanosPerByte: 1, samples: PathCosts.warmUp))
        #expect(sizeClass.copy == PathCosts.Estimate(nanosPerByte: 2, samples: PathCosts.warmUp))
    }

    @Test func theCheaperPathCarriesAllButOneBodyPerRound() {
        let costs = PathCosts()
        for _ in 0..<(2 * PathCosts.warmUp) { Self.send(costs, splice: 3, copy: 2) }
        let warm = (0..<(4 * PathCosts.roundLength)).map { _ in Self.send(costs, splice: 3, copy: 2) }
        #expect(warm.filter { $0 == .splice }.count == 4, "one explored body per round")
        #expect(warm.filter { $0 == .copy }.count == 4 * PathCosts.roundLength - 4)
    }

    @Test func aChangeOnTheHostTurnsTheChoice() {
        let costs = PathCosts()
        for _ in 0..<(2 * PathCosts.warmUp + 4 * PathCosts.roundLength) { Self.send(costs, splice: 3, copy: 2) }
        #expect(Self.send(costs, splice: 3, copy: 2) == .copy)
        // Splicing becomes cheap: the explored splice bodies pull its estimate down.
        for _ in 0..<(40 * PathCosts.roundLength) { Self.send(costs, splice: 1, copy: 2) }
        let after = (0..<PathCosts.roundLength).map { _ in Self.send(costs, splice: 1, copy: 2) }
        #expect(after.filter { $0 == .splice }.count == PathCosts.roundLength - 1)
    }

    @Test func sizeClassesLearnApart() {
        let costs = PathCosts()
        for _ in 0..<(2 * PathCosts.warmUp + PathCosts.roundLength) {
            Self.send(costs, length: 256 << 10, splice: 3, copy: 2)
            Self.send(costs, length: 4 << 20, splice: 1, copy: 2)
        }
        #expect(Self.send(costs, length: 300 << 10, splice: 3, copy: 2) == .copy)
        #expect(Self.send(costs, length: 5 << 20, splice: 1, copy: 2) == .splice)
        #expect(PathCosts.classIndex(1) == 0)
        #expect(PathCosts.classIndex(1 << 40) == PathCosts.classBits.count - 1)
        #expect(PathCosts.classIndex((256 << 10) - 1) == PathCosts.classIndex(128 << 10))
    }
}
