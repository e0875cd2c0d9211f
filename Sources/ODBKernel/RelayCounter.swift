import OdbShared

/// One slot of odb_relay_stats.counters (`enum odb_relay_counter`): where `status` shows it
/// and the Prometheus series the relay publishes it as. Adding a counter is one line in
/// odb_shared.h and one here (its definition, named in `allCases`): the relay's entry in
/// `status --json` and its /metrics follow from this list (the `status` table shows a summary).
public struct RelayCounter: SharedCounter {
    public let slot: Int
    /// Where the relay's `status` entry holds it.
    public let status: StatusPlace
    public let metric: MetricSeries?

    public enum StatusPlace: Sendable {
        /// A field of its own, e.g. `requests`.
        case field(StaticString)
        /// A key in the object of its family, e.g. `small_body` in `fallbacks`.
        case member(StaticString, of: Family)

        /// The field's name, or the member's key in its family's object.
        public var key: StaticString {
            switch self {
            case .field(let key), .member(let key, of: _): key
            }
        }
    }

    /// Counters `status` shows as one object and Prometheus as one metric with a label whose
    /// value is the member's key.
    public struct Family: Sendable {
        public let statusObject: StaticString
        public let metricName: StaticString
        public let labelName: StaticString
        /// Whether `status` leaves out members that are zero.
        public let omitsZeros: Bool

        @inlinable
        init(statusObject: StaticString, metricName: StaticString, labelName: StaticString, omitsZeros: Bool) {
            self.statusObject = statusObject
            self.metricName = metricName
            self.labelName = labelName
            self.omitsZeros = omitsZeros
        }

        @inlinable public static var bodyBytes: Family { Family(statusObject: "body_bytes", metricName: "odb_body_bytes_total", labelName: "path", omitsZeros: false) }
        @inlinable public static var responses: Family { Family(statusObject: "responses_by_class", metricName: "odb_responses_total", labelName: "class", omitsZeros: true) }
        @inlinable public static var fallbacks: Family { Family(statusObject: "fallbacks", metricName: "odb_fallbacks_total", labelName: "reason", omitsZeros: false) }
        @inlinable public static var limitCloses: Family { Family(statusObject: "limit_closes", metricName: "odb_limit_closes_total", labelName: "limit", omitsZeros: false) }
        @inlinable public static var virtualPayloads: Family { Family(statusObject: "virtual_payloads", metricName: "odb_virtual_payloads_total", labelName: "event", omitsZeros: false) }
    }

    @inlinable
    init(_ slot: odb_relay_counter, _ field: StaticString, _ metric: MetricSeries?) {
        self.slot = Int(slot.rawValue)
        status = .field(field)
        self.metric = metric
    }

    @inlinable
    init(_ slot: odb_relay_counter, _ family: Family, _ key: StaticString) {
        self.slot = Int(slot.rawValue)
        status = .member(key, of: family)
        metric = .counter(family.metricName, label: MetricSeries.Label(name: family.labelName, value: key))
    }

    // Computed, inlinable and made of static texts, so that the relay's `stats.requests += 1`
    // compiles to an add at a constant slot.
    @inlinable public static var bodyBytesKernel: RelayCounter { RelayCounter(ODB_RELAY_BODY_BYTES_KERNEL, .bodyBytes, "kernel") }
    @inlinable public static var bodyBytesSplice: RelayCounter { RelayCounter(ODB_RELAY_BODY_BYTES_SPLICE, .bodyBytes, "splice") }
    @inlinable public static var bodyBytesCopy: RelayCounter { RelayCounter(ODB_RELAY_BODY_BYTES_COPY, .bodyBytes, "copy") }
    @inlinable public static var requests: RelayCounter { RelayCounter(ODB_RELAY_REQUESTS, "requests", .counter("odb_requests_total")) }
    @inlinable public static var responsesNone: RelayCounter { RelayCounter(ODB_RELAY_RESPONSES_NONE, .responses, "none") }
    @inlinable public static var responses1xx: RelayCounter { RelayCounter(ODB_RELAY_RESPONSES_1XX, .responses, "1xx") }
    @inlinable public static var responses2xx: RelayCounter { RelayCounter(ODB_RELAY_RESPONSES_2XX, .responses, "2xx") }
    @inlinable public static var responses3xx: RelayCounter { RelayCounter(ODB_RELAY_RESPONSES_3XX, .responses, "3xx") }
    @inlinable public static var responses4xx: RelayCounter { RelayCounter(ODB_RELAY_RESPONSES_4XX, .responses, "4xx") }
    @inlinable public static var responses5xx: RelayCounter { RelayCounter(ODB_RELAY_RESPONSES_5XX, .responses, "5xx") }
    @inlinable public static var fallbacksSmallBody: RelayCounter { RelayCounter(ODB_RELAY_FALLBACKS_SMALL_BODY, .fallbacks, "small_body") }
    @inlinable public static var fallbacksUnparsed: RelayCounter { RelayCounter(ODB_RELAY_FALLBACKS_UNPARSED, .fallbacks, "unparsed") }
    @inlinable public static var fallbacksUnsupported: RelayCounter { RelayCounter(ODB_RELAY_FALLBACKS_UNSUPPORTED, .fallbacks, "unsupported") }
    @inlinable public static var fallbacksKernelSelfTest: RelayCounter { RelayCounter(ODB_RELAY_FALLBACKS_KERNEL_SELFTEST, .fallbacks, "kernel_selftest") }
    @inlinable public static var fallbacksBufferMemory: RelayCounter { RelayCounter(ODB_RELAY_FALLBACKS_BUFFER_MEMORY, .fallbacks, "buffer_memory") }
    @inlinable public static var fallbacksSplicePipe: RelayCounter { RelayCounter(ODB_RELAY_FALLBACKS_SPLICE_PIPE, .fallbacks, "splice_pipe") }
    @inlinable public static var rejectedRequests: RelayCounter { RelayCounter(ODB_RELAY_REJECTED_REQUESTS, "rejected_requests", .counter("odb_rejected_requests_total")) }
    @inlinable public static var refusedConnections: RelayCounter { RelayCounter(ODB_RELAY_REFUSED_CONNECTIONS, "refused_connections", .counter("odb_refused_connections_total")) }
    @inlinable public static var limitMaxRequests: RelayCounter { RelayCounter(ODB_RELAY_LIMIT_MAX_REQUESTS, .limitCloses, "max_requests") }
    @inlinable public static var limitMaxAge: RelayCounter { RelayCounter(ODB_RELAY_LIMIT_MAX_AGE, .limitCloses, "max_age") }
    @inlinable public static var limitMaxExchangeTime: RelayCounter { RelayCounter(ODB_RELAY_LIMIT_MAX_EXCHANGE_TIME, .limitCloses, "max_exchange_time") }
    @inlinable public static var limitMinBodyRate: RelayCounter { RelayCounter(ODB_RELAY_LIMIT_MIN_BODY_RATE, .limitCloses, "min_body_rate") }
    @inlinable public static var limitPerClient: RelayCounter { RelayCounter(ODB_RELAY_LIMIT_PER_CLIENT, .limitCloses, "per_client") }
    @inlinable public static var upstreamErrors: RelayCounter { RelayCounter(ODB_RELAY_UPSTREAM_ERRORS, "upstream_errors", .counter("odb_upstream_errors_total")) }
    @inlinable public static var activeConnections: RelayCounter { RelayCounter(ODB_RELAY_ACTIVE_CONNECTIONS, "active_connections", .gauge("odb_active_connections")) }
    @inlinable public static var activeFlows: RelayCounter { RelayCounter(ODB_RELAY_ACTIVE_FLOWS, "active_flows", .gauge("odb_active_kernel_flows")) }
    @inlinable public static var odbHeld: RelayCounter { RelayCounter(ODB_RELAY_ODB_HELD, .virtualPayloads, "held") }
    @inlinable public static var odbClaimsServed: RelayCounter { RelayCounter(ODB_RELAY_ODB_CLAIMS_SERVED, .virtualPayloads, "claims_served") }
    @inlinable public static var odbExpired: RelayCounter { RelayCounter(ODB_RELAY_ODB_EXPIRED, .virtualPayloads, "expired") }
    @inlinable public static var odbOverCap: RelayCounter { RelayCounter(ODB_RELAY_ODB_OVER_CAP, .virtualPayloads, "over_cap") }
    @inlinable public static var odbPassed: RelayCounter { RelayCounter(ODB_RELAY_ODB_PASSED, .virtualPayloads, "passed") }
    @inlinable public static var odbForged: RelayCounter { RelayCounter(ODB_RELAY_ODB_FORGED, .virtualPayloads, "forged") }
    @inlinable public static var odbClaims: RelayCounter { RelayCounter(ODB_RELAY_ODB_CLAIMS, .virtualPayloads, "claims") }
    @inlinable public static var odbFaults: RelayCounter { RelayCounter(ODB_RELAY_ODB_FAULTS, .virtualPayloads, "faults") }
    @inlinable public static var odbClaimsFailed: RelayCounter { RelayCounter(ODB_RELAY_ODB_CLAIMS_FAILED, .virtualPayloads, "claims_failed") }
    @inlinable public static var odbHeldNow: RelayCounter { RelayCounter(ODB_RELAY_ODB_HELD_NOW, "held_payloads", .gauge("odb_held_payloads")) }
    @inlinable public static var odbHeldBytes: RelayCounter { RelayCounter(ODB_RELAY_ODB_HELD_BYTES, "held_payload_bytes", .gauge("odb_held_payload_bytes")) }
    @inlinable public static var odbClaimsInFlight: RelayCounter { RelayCounter(ODB_RELAY_ODB_CLAIMS_IN_FLIGHT, "claims_in_flight", .gauge("odb_claims_in_flight")) }
    @inlinable public static var spareSplicePipes: RelayCounter { RelayCounter(ODB_RELAY_SPARE_SPLICE_PIPES, "spare_splice_pipes", .gauge("odb_spare_splice_pipes")) }

    /// Every counter, in slot order.
    public static let allCases: [RelayCounter] = [
        .bodyBytesKernel, .bodyBytesSplice, .bodyBytesCopy, .requests,
        .responsesNone, .responses1xx, .responses2xx, .responses3xx, .responses4xx, .responses5xx,
        .fallbacksSmallBody, .fallbacksUnparsed, .fallbacksUnsupported, .fallbacksKernelSelfTest, .fallbacksBufferMemory,
        .fallbacksSplicePipe,
        .rejectedRequests, .refusedConnections,
        .limitMaxRequests, .limitMaxAge, .limitMaxExchangeTime, .limitMinBodyRate, .limitPerClient,
        .upstreamErrors, .activeConnections, .activeFlows,
        .odbHeld, .odbClaimsServed, .odbExpired, .odbOverCap, .odbPassed, .odbForged, .odbClaims, .odbFaults, .odbClaimsFailed,
        .odbHeldNow, .odbHeldBytes, .odbClaimsInFlight, .spareSplicePipes,
    ]

    public static let slotCount = Int(ODB_RELAY_COUNTER_COUNT.rawValue)

    /// The class a response status is counted under; `none` outside 100–599.
    @inlinable
    public static func response(status: Int) -> RelayCounter {
        switch status / 100 {
        case 1: .responses1xx
        case 2: .responses2xx
        case 3: .responses3xx
        case 4: .responses4xx
        case 5: .responses5xx
        default: .responsesNone
        }
    }
}
