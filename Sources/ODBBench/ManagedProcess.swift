import Foundation
import Glibc

/// A helper program the bench started (origin, relay, nginx, haproxy), with its output in a log
/// file and a stop that always reaps it.
public final class ManagedProcess: @unchecked Sendable {
    public let name: String
    public let logPath: String
    private let process: Process

    /// Starts `executable` with `arguments`; stdout and stderr go to `logPath`.
    public init(name: String, executable: String, arguments: [String], logPath: String) throws(BenchError) {
        self.name = name
        self.logPath = logPath
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let log = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .processFailed(name: name, detail: "could not start \(executable): \(error)")
        }
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// The tail of what the process printed, for error messages.
    public var logTail: String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return String(text.suffix(2000))
    }

    /// Seconds a server may take to listen. A kernel relay loads and verifies its BPF programs
    /// and runs its kernel self-test first: over 10 s on the shared 2-core machine at a load
    /// average of 10.
    public static let listenTimeout = 30.0

    /// Waits until `port` accepts connections, failing early if the process died.
    public func waitUntilListening(port: Int, host: String = "127.0.0.1", seconds: Double = listenTimeout) throws(BenchError) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let socket = try? TCPSocket.connect(host: host, port: port) {
                socket.close()
                return
            }
            guard process.isRunning else {
                throw .processFailed(name: name, detail: "exited with status \(process.terminationStatus): \(logTail)")
            }
            usleep(20_000)
        }
        throw .notListening(name: name, port: port, log: logTail)
    }

    /// SIGTERM, then SIGKILL after `grace` seconds; returns once the process is reaped.
    public func stop(grace: Double = 5) {
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// Runs a program to completion and returns its standard output (stderr is appended on failure).
func runToCompletion(_ executable: String, _ arguments: [String], accepting statuses: Set<Int32> = [0]) throws(BenchError) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    do {
        try process.run()
    } catch {
        throw .processFailed(name: executable, detail: "could not start: \(error)")
    }
    // Read both pipes before waiting, so a chatty program cannot block on a full pipe.
    let errorData = ThreadedRead(errors.fileHandleForReading)
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard statuses.contains(process.terminationStatus) else {
        throw .processFailed(
            name: URL(fileURLWithPath: executable).lastPathComponent,
            detail: "status \(process.terminationStatus): \(String(decoding: errorData.result(), as: UTF8.self).suffix(2000))")
    }
    return text
}

/// Reads a file handle to its end on another thread.
final class ThreadedRead: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func result() -> Data {
        done.wait()
        return data
    }
}
