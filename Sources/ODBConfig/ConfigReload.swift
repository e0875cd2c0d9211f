extension RelayConfig {
    /// The settings of `new` that a running relay cannot take over without a restart.
    ///
    /// A reload applies routes, upstream pools, timeouts, limits, the log level and the access
    /// log. Worker threads, listening sockets, the admin socket, the pin directory, the user and
    /// the log format are set up once at start (some of them before privileges are dropped),
    /// so a changed value there is named here and the reload is refused as a whole.
    public func settingsNeedingRestart(for new: RelayConfig) -> [String] {
        var changed = [String]()
        if workers != new.workers { changed.append("workers") }
        if pinDirectory != new.pinDirectory { changed.append("pin_dir") }
        if user != new.user { changed.append("user") }
        if group != new.group { changed.append("group") }
        if admin != new.admin { changed.append("admin") }
        if log.format != new.log.format { changed.append("log.format") }
        if odb?.claimListen != new.odb?.claimListen { changed.append("odb.claim_listen") }
        if listeners.map(\.listen) != new.listeners.map(\.listen) { changed.append("listeners[].listen") }
        return changed
    }
}
