import ArgumentParser
import Foundation
import ODBKernel

extension OdbRedirect {
    /// Shows what the pinned maps hold: hooks, tracked sockets, flows and counters.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show attached cgroups, tracked sockets, active redirect flows and counters."
        )

        @Flag(help: "Print stable JSON instead of tables.")
        var json = false

        @Option(help: "Print again every SECONDS until interrupted.")
        var watch: Double?

        @OptionGroup var pin: PinOptions

        func validate() throws {
            if let watch, watch <= 0 {
                throw ValidationError("--watch needs a positive number of seconds")
            }
        }

        func run() throws {
            repeat {
                let report = try SystemStatus.read(pinRoot: pin.directory)
                print(json ? try report.jsonText() : report.table())
                if let watch { Thread.sleep(forTimeInterval: watch) }
            } while watch != nil
        }
    }
}
