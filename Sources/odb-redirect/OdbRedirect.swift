import ArgumentParser
import ODBConfig

/// The `odb-redirect` command: kernel set-up, live status, the relay and its benchmark.
@main
struct OdbRedirect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "odb-redirect",
        abstract: "An eBPF-assisted HTTP relay: heads in user space, bodies in the kernel.",
        subcommands: [Attach.self, Detach.self, Status.self, RelayCommand.self, OriginCommand.self, BenchCommand.self]
    )
}

/// Options every command that touches pinned objects shares.
struct PinOptions: ParsableArguments {
    @Option(name: .customLong("pin"), help: "bpffs directory holding the pinned maps and programs.")
    var directory: String = RelayConfig.defaultPinDirectory

    /// True when --pin was not given, so a config file's pin_dir may apply.
    var isDefault: Bool { directory == RelayConfig.defaultPinDirectory }
}
