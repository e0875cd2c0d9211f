import Foundation
import Glibc
import Logging

/// Writes `time level label: metadata [source] message` lines, swift-log's StreamLogHandler
/// format, to a file descriptor with one write(2) per line.
///
/// With the access log on, every request writes a line, so the line is assembled as bytes in
/// a stack buffer: no String per line, and the local time is formatted once a second, not per
/// line (`localtime` re-reads the time zone and `strftime` allocates on every call).
public struct TextLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:] {
        didSet { prettyMetadata = Self.prettify(metadata) }
    }

    private let output: Int32
    private var prettyMetadata: String?
    private static let clock = LocalTimeStamp()

    /// - Parameter output: Where lines go: standard error unless a test says otherwise.
    public init(label: String, logLevel: Logger.Level, output: Int32 = STDERR_FILENO) {
        self.label = label
        self.logLevel = logLevel
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var explicit = event.metadata ?? [:]
        if let error = event.error {
            explicit["error.message"] = "\(error)"
            explicit["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        var pairs = (explicit.isEmpty ? prettyMetadata : Self.prettify(metadata.merging(explicit) { $1 })) ?? ""
        var message = event.message.description
        var level = event.level.rawValue
        var label = label
        var source = event.source
        let count = LocalTimeStamp.maximumCount + level.utf8.count + label.utf8.count + pairs.utf8.count
            + source.utf8.count + message.utf8.count + 8
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { buffer in
            var line = LineWriter(buffer)
            Self.clock.write(into: &line)
            line.append(ByteClass.space)
            line.append(&level)
            if !label.isEmpty {
                line.append(ByteClass.space)
                line.append(&label)
            }
            line.append(ByteClass.colon)
            if !pairs.isEmpty {
                line.append(ByteClass.space)
                line.append(&pairs)
            }
            line.append(ByteClass.space)
            line.append(ByteClass.openBracket)
            line.append(&source)
            line.append(ByteClass.closeBracket)
            line.append(ByteClass.space)
            line.append(&message)
            line.append(ByteClass.lf)
            Self.write(output, UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[..<line.count])))
        }
    }

    /// Writes all of `bytes`, retrying after a signal; a line that cannot be written is lost,
    /// as a log line must never stop the relay.
    private static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    /// `key=value` pairs sorted by key, as StreamLogHandler prints them.
    private static func prettify(_ metadata: Logger.Metadata) -> String? {
        metadata.isEmpty ? nil : metadata.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " ")
    }

    private enum ByteClass {
        static let space = UInt8(ascii: " ")
        static let colon = UInt8(ascii: ":")
        static let openBracket = UInt8(ascii: "[")
        static let closeBracket = UInt8(ascii: "]")
        static let lf = UInt8(ascii: "\n")
    }
}

/// Appends bytes to a buffer sized for the whole line.
private struct LineWriter {
    let buffer: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        self.buffer = buffer
    }

    mutating func append(_ byte: UInt8) {
        buffer[count] = byte
        count += 1
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[count...])).copyMemory(from: bytes)
        count += bytes.count
    }

    mutating func append(_ text: inout String) {
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }
}

/// The local time as `%Y-%m-%dT%H:%M:%S%z`, formatted again only when the second changes;
/// shared by every thread that logs.
private final class LocalTimeStamp: @unchecked Sendable {
    /// `2026-12-04T05:20:00+0000` is 24 bytes; a five-digit year or an odd offset fits too.
    static let maximumCount = 32
    private let lock = NSLock()
    private var second: time_t = -1
    private var text = [UInt8](repeating: 0, count: maximumCount)
    private var length = 0

    func write(into line: inout LineWriter) {
        let now = time(nil)
        lock.lock()
        defer { lock.unlock() }
        if now != second {
            var parts = tm()
            var seconds = now
            localtime_r(&seconds, &parts)
            length = text.withUnsafeMutableBufferPointer { text in
                text.withMemoryRebound(to: CChar.self) { strftime($0.baseAddress!, Self.maximumCount, "%Y-%m-%dT%H:%M:%S%z", &parts) }
            }
            second = now
        }
        text.withUnsafeBytes { line.append(UnsafeRawBufferPointer(rebasing: $0[..<length])) }
    }
}
