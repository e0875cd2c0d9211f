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

    public enum StatusPlace: Hashable, Sendable {
        /// A field of its own, e.g. `requests`.
        case field(String)
        /// A key in the object of its family, e.g. `small_body` in `fallbacks`.
        case member(String, of: Family)

        /// The field's name, or the member's key in its family's object.
        public var key: String {
            switch self {
            case .field(let key), .member(let key, of: _): key
            }
        }
    }

    /// Counters `status` shows as one object and Prometheus as one metric with a label whose
    /// value is the member's key.
    public struct Family: Hashable, Sendable {
        public let statusObject: String
        public let metricName: String
        public let labelName: String
        /// Whether `status` leaves out members that are zero.
        public let omitsZeros: Bool

        public static let bodyBytes = Family(statusObject: "body_bytes", metricName: "odb_body_bytes_total", labelName: "path", omitsZeros: false)
        public static let responses = Family(statusObject: "responses_by_class", metricName: "odb_responses_total", labelName: "class", omitsZeros: true)
        public static let fallbacks = Family(statusObject: "fallbacks", metricName: "odb_fallbacks_total", labelName: "reason", omitsZeros: false)
        public static let limitCloses = Family(statusObject: "limit_closes", metricName: "odb_limit_closes_total", labelName: "limit", omitsZeros: false)
    }

    init(_ slot: odb_relay_counter, _ field: String, _ metric: MetricSeries?) {
        self.slot = Int(slot.rawValue)
        status = .field(field)
        self.metric = metric
    }

    init(_ slot: odb_relay_counter, _ family: Family, _ key: String) {
        self.slot = Int(slot.rawValue)
        status = .member(key, of: family)
        metric = .counter(family.metricName, label: MetricSeries.Label(name: family.labelName, value: key))
    }

    public static let bodyBytesKernel = RelayCounter(ODB_RELAY_BODY_BYTES_KERNEL, .bodyBytes, "kernel")
    public static let bodyBytesSplice = RelayCounter(ODB_RELAY_BODY_BYTES_SPLICE, .bodyBytes, "splice")
    public static let bodyBytesCopy = RelayCounter(ODB_RELAY_BODY_BYTES_COPY, .bodyBytes, "copy")
    public static let requests = RelayCounter(ODB_RELAY_REQUESTS, "requests", .counter("odb_requests_total"))
    public static let responsesNone = RelayCounter(ODB_RELAY_RESPONSES_NONE, .responses, "none")
    public static let responses1xx = RelayCounter(ODB_RELAY_RESPONSES_1XX, .responses, "1xx")
    public static let responses2xx = RelayCounter(ODB_RELAY_RESPONSES_2XX, .responses, "2xx")
    public static let responses3xx = RelayCounter(ODB_RELAY_RESPONSES_3XX, .responses, "3xx")
    public static let responses4xx = RelayCounter(ODB_RELAY_RESPONSES_4XX, .responses, "4xx")
    public static let responses5xx = RelayCounter(ODB_RELAY_RESPONSES_5XX, .responses, "5xx")
    public static let fallbacksSmallBody = RelayCounter(ODB_RELAY_FALLBACKS_SMALL_BODY, .fallbacks, "small_body")
    public static let fallbacksUnparsed = RelayCounter(ODB_RELAY_FALLBACKS_UNPARSED, .fallbacks, "unparsed")
    public static let fallbacksUnsupported = RelayCounter(ODB_RELAY_FALLBACKS_UNSUPPORTED, .fallbacks, "unsupported")
    public static let fallbacksKernelSelfTest = RelayCounter(ODB_RELAY_FALLBACKS_KERNEL_SELFTEST, .fallbacks, "kernel_selftest")
    public static let fallbacksBufferMemory = RelayCounter(ODB_RELAY_FALLBACKS_BUFFER_MEMORY, .fallbacks, "buffer_memory")
    public static let rejectedRequests = RelayCounter(ODB_RELAY_REJECTED_REQUESTS, "rejected_requests", .counter("odb_rejected_requests_total"))
    public static let refusedConnections = RelayCounter(ODB_RELAY_REFUSED_CONNECTIONS, "refused_connections", .counter("odb_refused_connections_total"))
    public static let limitMaxRequests = RelayCounter(ODB_RELAY_LIMIT_MAX_REQUESTS, .limitCloses, "max_requests")
    public static let limitMaxAge = RelayCounter(ODB_RELAY_LIMIT_MAX_AGE, .limitCloses, "max_age")
    public static let limitMinBodyRate = RelayCounter(ODB_RELAY_LIMIT_MIN_BODY_RATE, .limitCloses, "min_body_rate")
    public static let limitPerClient = RelayCounter(ODB_RELAY_LIMIT_PER_CLIENT, .limitCloses, "per_client")
    public static let upstreamErrors = RelayCounter(ODB_RELAY_UPSTREAM_ERRORS, "upstream_errors", .counter("odb_upstream_errors_total"))
    public static let activeConnections = RelayCounter(ODB_RELAY_ACTIVE_CONNECTIONS, "active_connections", .gauge("odb_active_connections"))
    public static let activeFlows = RelayCounter(ODB_RELAY_ACTIVE_FLOWS, "active_flows", .gauge("odb_active_kernel_flows"))

    /// Every counter, in slot order.
    public static let allCases: [RelayCounter] = [
        .bodyBytesKernel, .bodyBytesSplice, .bodyBytesCopy, .requests,
        .responsesNone, .responses1xx, .responses2xx, .responses3xx, .responses4xx, .responses5xx,
        .fallbacksSmallBody, .fallbacksUnparsed, .fallbacksUnsupported, .fallbacksKernelSelfTest, .fallbacksBufferMemory,
        .rejectedRequests, .refusedConnections,
        .limitMaxRequests, .limitMaxAge, .limitMinBodyRate, .limitPerClient,
        .upstreamErrors, .activeConnections, .activeFlows,
    ]

    public static let slotCount = Int(ODB_RELAY_COUNTER_COUNT.rawValue)

    /// The class a response status is counted under; `none` outside 100–599.
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
