import Foundation
import Glibc

/// An origin written as a short Python script for behaviours nginx will not show on demand
/// (closing mid-body, answering before reading). The script gets its port as `PORT`.
public final class ScriptedOrigin {
    public let port: Int
    private let process: Process

    public init(python script: String) throws {
        port = freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        process.environment = ProcessInfo.processInfo.environment.merging(["PORT": String(port)]) { _, new in new }
        try process.run()
        guard waitForPort(port) else {
            process.terminate()
            throw TestHTTPClient.ClosedEarly(description: "scripted origin did not start")
        }
    }

    deinit {
        // SIGKILL: the script inherits the test runner's signal mask, which blocks SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
