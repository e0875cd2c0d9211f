import ODBKernel

/// How long a client connection has been open and how many requests it carried, measured
/// against the caps that retire it (`limits.max_requests_per_connection`,
/// `timeouts.max_connection_age`).
struct ConnectionLifetime {
    let openedAt: Double
    private(set) var requests = 0

    init(openedAt: Double) {
        self.openedAt = openedAt
    }

    mutating func requestStarted() {
        requests += 1
    }

    /// The cap that makes the answer now going out the connection's last, if any.
    func retiringLimit(now: Double, maxRequests: Int, maxAge: Double) -> RelayLimit? {
        if maxRequests > 0 && requests >= maxRequests { return .maxRequests }
        if isPastAge(now: now, maxAge: maxAge) { return .maxAge }
        return nil
    }

    func isPastAge(now: Double, maxAge: Double) -> Bool {
        now - openedAt >= maxAge
    }
}
