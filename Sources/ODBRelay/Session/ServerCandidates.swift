/// The servers of a pool an exchange may still try, in the pool's order, read through a cursor
/// so that taking one never copies or shifts the array (a single-server pool hands every
/// exchange the same array).
struct ServerCandidates {
    private let order: [Int]
    private var next = 0

    init(_ order: [Int]) {
        self.order = order
    }

    /// The next server to try; nil when every one was tried.
    mutating func take() -> Int? {
        guard next < order.count else { return nil }
        defer { next += 1 }
        return order[next]
    }

    /// Offers the server `take` returned last once more (a pooled connection to it was found
    /// closed, so another connection to it is worth a try: an idle pooled one, or a new one).
    mutating func retakeLast() {
        precondition(next > 0, "no server was taken")
        next -= 1
    }
}
