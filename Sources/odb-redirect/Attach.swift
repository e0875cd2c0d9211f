import ArgumentParser
import ODBKernel

extension OdbRedirect {
    /// Loads and pins the programs and hooks a cgroup, as a service manager would for a slice.
    struct Attach: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load the BPF programs, pin them and track the TCP sockets of a cgroup v2.",
            discussion: """
                Relays started later inside that cgroup find the pinned maps and use them. \
                Running attach again is harmless.
                """
        )

        @Option(help: "cgroup v2 directory whose processes' TCP sockets are tracked.")
        var cgroup: String

        @OptionGroup var pin: PinOptions

        func run() throws {
            // Checked before loading so a wrong path leaves nothing pinned behind.
            _ = try CgroupAttachment.hookableCgroupID(cgroup)
            let objects = try KernelObjects.openOrLoad(pinDirectory: pin.directory)
            switch try CgroupAttachment.attach(objects, cgroupPath: cgroup) {
            case let .attached(id):
                print("attached to \(cgroup) (cgroup id \(id)); objects pinned under \(pin.directory)")
            case let .alreadyAttached(id):
                print("already attached to \(cgroup) (cgroup id \(id)); nothing changed")
            }
        }
    }
}
