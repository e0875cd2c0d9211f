import ArgumentParser
import ODBKernel

extension OdbRedirect {
    /// Removes everything `attach` (or a relay that was killed) left pinned.
    struct Detach: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Unhook every cgroup and remove all pinned maps and programs."
        )

        @OptionGroup var pin: PinOptions

        func run() throws {
            try Capabilities.current().requireForKernelSetup(operation: "detaching")
            let removed = try CgroupAttachment.detachAll(pinDirectory: pin.directory)
            if removed.isEmpty {
                print("nothing to detach under \(pin.directory)")
            } else {
                print("detached: removed \(removed.count) pinned objects under \(pin.directory)")
            }
        }
    }
}
