import Glibc

/// How many client connections the process's file-descriptor limit can carry.
///
/// A connection cap the limit cannot carry (10 000 connections under a 1 024-descriptor limit)
/// makes accept fail with EMFILE, leaving the listener readable so the loop spins, and makes a
/// failed upstream socket() look like the upstream's fault.
enum DescriptorBudget {
    /// Descriptors one client connection may hold at once: its socket, its upstream's, and the
    /// two ends of a splice pipe.
    static let perConnection = 4
    /// Descriptors for everything else: listeners, event loops, BPF maps, programs and rings,
    /// the admin endpoint, log files, and each worker's reserve descriptor.
    static let reserved = 128

    /// Raises the soft descriptor limit to the hard one and returns the limit in force.
    static func raiseSoftLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return Int(FD_SETSIZE) }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// The connections `descriptors` can carry, never below one.
    static func connections(within descriptors: Int) -> Int {
        max(1, (descriptors - reserved) / perConnection)
    }

    /// True for an errno that says this process or host ran out of a resource, which says
    /// nothing about the peer.
    static func isLocalShortage(_ code: Int32) -> Bool {
        code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM
    }
}
