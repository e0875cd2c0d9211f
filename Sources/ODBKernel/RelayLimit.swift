import OdbShared

/// A limit that ends or refuses client connections (`enum odb_limit`): its slot in
/// odb_relay_stats.limit_closes, its key under `limit_closes` in `status`, and the label of
/// `odb_limit_closes_total`.
public enum RelayLimit: CaseIterable, Sendable {
    case maxRequests, maxAge, minBodyRate, perClient

    public var slot: Int {
        switch self {
        case .maxRequests: Int(ODB_LIMIT_MAX_REQUESTS.rawValue)
        case .maxAge: Int(ODB_LIMIT_MAX_AGE.rawValue)
        case .minBodyRate: Int(ODB_LIMIT_MIN_BODY_RATE.rawValue)
        case .perClient: Int(ODB_LIMIT_PER_CLIENT.rawValue)
        }
    }

    public var statusKey: String {
        switch self {
        case .maxRequests: "max_requests"
        case .maxAge: "max_age"
        case .minBodyRate: "min_body_rate"
        case .perClient: "per_client"
        }
    }

    public static let slotCount = Int(ODB_LIMIT_COUNT.rawValue)
}
