/// A limit that ends or refuses client connections, and the `limit_closes` counter it is
/// counted under.
public enum RelayLimit: CaseIterable, Sendable {
    case maxRequests, maxAge, maxExchangeTime, minBodyRate, perClient

    public var counter: RelayCounter {
        switch self {
        case .maxRequests: .limitMaxRequests
        case .maxAge: .limitMaxAge
        case .maxExchangeTime: .limitMaxExchangeTime
        case .minBodyRate: .limitMinBodyRate
        case .perClient: .limitPerClient
        }
    }

    /// Its key under `limit_closes` in `status`, as logs name it.
    public var statusKey: String { counter.status.key.description }
}
