import OdbShared

/// One slot of odb_counters (`enum odb_counter`): its key in `status` and, for the counters an
/// operator watches, the Prometheus metric the relay publishes it as.
public enum KernelCounter: CaseIterable, Sendable {
    case socketsEstablished, socketsClosed, socketsTableFull
    case verdictSkbs, redirectedSkbs, redirectedBytes, passedSkbs, passedBodyBytes, tailsPassed
    case redirectFailed, budgetPasses, eventsLost, prefixBytesDropped
    case chunkLinesWalked, chunkHandbacks, overlapSkbs, overlapBytesTrimmed

    public var slot: odb_counter {
        switch self {
        case .socketsEstablished: ODB_CTR_SOCKS_ESTABLISHED
        case .socketsClosed: ODB_CTR_SOCKS_CLOSED
        case .socketsTableFull: ODB_CTR_SOCKS_TABLE_FULL
        case .verdictSkbs: ODB_CTR_VERDICT_SKBS
        case .redirectedSkbs: ODB_CTR_REDIRECTED_SKBS
        case .redirectedBytes: ODB_CTR_REDIRECTED_BYTES
        case .passedSkbs: ODB_CTR_PASSED_SKBS
        case .passedBodyBytes: ODB_CTR_PASSED_BODY_BYTES
        case .tailsPassed: ODB_CTR_TAILS_PASSED
        case .redirectFailed: ODB_CTR_REDIRECT_FAILED
        case .budgetPasses: ODB_CTR_BUDGET_PASSES
        case .eventsLost: ODB_CTR_EVENTS_LOST
        case .prefixBytesDropped: ODB_CTR_PREFIX_BYTES_DROPPED
        case .chunkLinesWalked: ODB_CTR_CHUNK_LINES_WALKED
        case .chunkHandbacks: ODB_CTR_CHUNK_HANDBACKS
        case .overlapSkbs: ODB_CTR_OVERLAP_SKBS
        case .overlapBytesTrimmed: ODB_CTR_OVERLAP_BYTES_TRIMMED
        }
    }

    public var statusKey: String {
        switch self {
        case .socketsEstablished: "sockets_established"
        case .socketsClosed: "sockets_closed"
        case .socketsTableFull: "sockets_table_full"
        case .verdictSkbs: "verdict_skbs"
        case .redirectedSkbs: "redirected_skbs"
        case .redirectedBytes: "redirected_bytes"
        case .passedSkbs: "passed_skbs"
        case .passedBodyBytes: "passed_body_bytes"
        case .tailsPassed: "tails_passed"
        case .redirectFailed: "redirect_failed"
        case .budgetPasses: "budget_passes"
        case .eventsLost: "events_lost"
        case .prefixBytesDropped: "prefix_bytes_dropped"
        case .chunkLinesWalked: "chunk_lines_walked"
        case .chunkHandbacks: "chunk_handbacks"
        case .overlapSkbs: "overlap_skbs"
        case .overlapBytesTrimmed: "overlap_bytes_trimmed"
        }
    }

    /// Counters of the whole pin set: every relay sharing it publishes the same totals.
    public var metricName: String? {
        switch self {
        case .socketsTableFull: "odb_sockets_table_full_total"
        case .budgetPasses: "odb_flow_control_pauses_total"
        case .overlapSkbs: "odb_overlap_skbs_total"
        case .overlapBytesTrimmed: "odb_overlap_bytes_trimmed_total"
        default: nil
        }
    }
}
