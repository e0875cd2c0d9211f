/// When a warning about a repeated event may be logged again: at most once per interval, so a
/// flood of the event cannot flood the log.
struct LogThrottle {
    let interval: Double
    private var last = -Double.infinity

    init(interval: Double = 1) {
        self.interval = interval
    }

    /// Whether a line may be logged at `now`; when it may, `now` becomes the last time.
    mutating func allows(at now: Double) -> Bool {
        guard now - last >= interval else { return false }
        last = now
        return true
    }
}
