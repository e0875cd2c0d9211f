import Foundation

/// A python3 child that prints one line when it reached the state a test measures, then waits.
final class PythonChild {
    let process = Process()
    private let output = Pipe()

    init(script: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        process.standardOutput = output
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// Blocks until the child printed its first line, and returns it.
    func readyLine() -> String {
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        return String(decoding: line, as: UTF8.self)
    }

    deinit {
        // SIGKILL: the child may have inherited a mask blocking SIGTERM from this process.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
