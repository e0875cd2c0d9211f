import OdbShared

/// One slot of odb_counters (`enum odb_counter`): its key in `status` and, for the counters an
/// operator watches, the Prometheus metric the relay publishes it as. Metrics of these count
/// the whole pin set: every relay sharing it publishes the same totals.
public struct KernelCounter: SharedCounter {
    public let slot: Int
    public let statusKey: String
    public let metric: MetricSeries?

    init(_ slot: odb_counter, _ statusKey: String, _ metric: MetricSeries? = nil) {
        self.slot = Int(slot.rawValue)
        self.statusKey = statusKey
        self.metric = metric
    }

    public static let socketsEstablished = KernelCounter(ODB_CTR_SOCKS_ESTABLISHED, "sockets_established")
    public static let socketsClosed = KernelCounter(ODB_CTR_SOCKS_CLOSED, "sockets_closed")
    public static let socketsTableFull = KernelCounter(ODB_CTR_SOCKS_TABLE_FULL, "sockets_table_full", .counter("odb_sockets_table_full_total"))
    public static let verdictSkbs = KernelCounter(ODB_CTR_VERDICT_SKBS, "verdict_skbs")
    public static let redirectedSkbs = KernelCounter(ODB_CTR_REDIRECTED_SKBS, "redirected_skbs")
    public static let redirectedBytes = KernelCounter(ODB_CTR_REDIRECTED_BYTES, "redirected_bytes")
    public static let passedSkbs = KernelCounter(ODB_CTR_PASSED_SKBS, "passed_skbs")
    public static let passedBodyBytes = KernelCounter(ODB_CTR_PASSED_BODY_BYTES, "passed_body_bytes")
    public static let tailsPassed = KernelCounter(ODB_CTR_TAILS_PASSED, "tails_passed")
    public static let redirectFailed = KernelCounter(ODB_CTR_REDIRECT_FAILED, "redirect_failed")
    public static let budgetPasses = KernelCounter(ODB_CTR_BUDGET_PASSES, "budget_passes", .counter("odb_flow_control_pauses_total"))
    public static let eventsLost = KernelCounter(ODB_CTR_EVENTS_LOST, "events_lost")
    public static let prefixBytesDropped = KernelCounter(ODB_CTR_PREFIX_BYTES_DROPPED, "prefix_bytes_dropped")
    public static let chunkLinesWalked = KernelCounter(ODB_CTR_CHUNK_LINES_WALKED, "chunk_lines_walked")
    public static let chunkHandbacks = KernelCounter(ODB_CTR_CHUNK_HANDBACKS, "chunk_handbacks")
    public static let overlapSkbs = KernelCounter(ODB_CTR_OVERLAP_SKBS, "overlap_skbs", .counter("odb_overlap_skbs_total"))
    public static let overlapBytesTrimmed = KernelCounter(ODB_CTR_OVERLAP_BYTES_TRIMMED, "overlap_bytes_trimmed", .counter("odb_overlap_bytes_trimmed_total"))
    public static let linearisedSkbs = KernelCounter(ODB_CTR_LINEARISED_SKBS, "linearised_skbs")

    /// Every counter, in slot order.
    public static let allCases: [KernelCounter] = [
        .socketsEstablished, .socketsClosed, .socketsTableFull, .verdictSkbs, .redirectedSkbs, .redirectedBytes,
        .passedSkbs, .passedBodyBytes, .tailsPassed, .redirectFailed, .budgetPasses, .eventsLost, .prefixBytesDropped,
        .chunkLinesWalked, .chunkHandbacks, .overlapSkbs, .overlapBytesTrimmed, .linearisedSkbs,
    ]

    public static let slotCount = Int(ODB_CTR_COUNT.rawValue)
}
