import Foundation
import Glibc
import Logging

/// One log line assembled in a buffer sized for all of it, then written with one write(2).
///
/// With the access log on, every request writes a line; the handlers build it here, on the
/// stack, instead of through Strings, and take the time from a stamp formatted once a second.
struct LogLine {
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

    /// Calls `body` with a line of room for `capacity` bytes, then writes what it appended to `fd`.
    static func write(to fd: Int32, capacity: Int, _ body: (inout LogLine) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            var line = LogLine(buffer: buffer)
            body(&line)
            line.append(UInt8(ascii: "\n"))
            line.write(to: fd)
        }
    }

    private init(buffer: UnsafeMutableBufferPointer<UInt8>) {
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

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// `text` as a JSON string, quoted, escaped as JSONSerialization escapes it (quote,
    /// backslash and control characters; `/` and non-ASCII as they are).
    mutating func appendJSONString(_ text: String) {
        append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    append(UInt8(ascii: "\\"))
                    append(byte)
                case 0x0A: appendEscape(UInt8(ascii: "n"))
                case 0x0D: appendEscape(UInt8(ascii: "r"))
                case 0x09: appendEscape(UInt8(ascii: "t"))
                case 0x08: appendEscape(UInt8(ascii: "b"))
                case 0x0C: appendEscape(UInt8(ascii: "f"))
                case ..<0x20:
                    appendEscape(UInt8(ascii: "u"))
                    append(UInt8(ascii: "0"))
                    append(UInt8(ascii: "0"))
                    append(Self.hexDigits[Int(byte >> 4)])
                    append(Self.hexDigits[Int(byte & 0xF)])
                default:
                    append(byte)
                }
            }
        }
        append(UInt8(ascii: "\""))
    }

    /// The most bytes `appendJSONString` may write for `text`: `\u00XX` for every byte, quotes.
    static func jsonCapacity(_ text: String) -> Int {
        6 * text.utf8.count + 2
    }

    private mutating func appendEscape(_ letter: UInt8) {
        append(UInt8(ascii: "\\"))
        append(letter)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Held while a line is written, as StreamLogHandler holds its stream's lock: a write(2)
    /// cut short leaves the rest for another call, and another thread's line must not land
    /// between the two.
    private static let writing = NSLock()

    private func write(to fd: Int32) {
        Self.writing.lock()
        defer { Self.writing.unlock() }
        var offset = 0
        while offset < count {
            let written = Glibc.write(fd, buffer.baseAddress! + offset, count - offset)
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                // A line that cannot be written is lost: a log line must never stop the relay.
                return
            }
        }
    }
}

/// The wall-clock time in one of the log formats, formatted again only when the second
/// changes; shared by every thread that logs.
final class LogTimeStamp: @unchecked Sendable {
    /// `2026-12-04T05:20:00+0000` (text) and `2026-12-04T05:20:00.` (JSON, before the
    /// milliseconds) are 24 and 20 bytes; a five-digit year or an odd offset fits too.
    static let maximumCount = 32
    private let lock = NSLock()
    private let format: String
    private let utc: Bool
    private var second: time_t = -1
    private var text = [UInt8](repeating: 0, count: maximumCount)
    private var length = 0

    /// `%Y-%m-%dT%H:%M:%S%z` in local time, as swift-log's StreamLogHandler writes it.
    static let local = LogTimeStamp(format: "%Y-%m-%dT%H:%M:%S%z", utc: false)
    /// `%Y-%m-%dT%H:%M:%S.` in UTC; `appendUTCMilliseconds` adds the milliseconds and `Z`.
    static let utcSeconds = LogTimeStamp(format: "%Y-%m-%dT%H:%M:%S.", utc: true)

    private init(format: String, utc: Bool) {
        self.format = format
        self.utc = utc
    }

    /// Appends the stamp of `now`'s second.
    func append(_ now: time_t, to line: inout LogLine) {
        lock.lock()
        defer { lock.unlock() }
        if now != second {
            var parts = tm()
            var seconds = now
            if utc { gmtime_r(&seconds, &parts) } else { localtime_r(&seconds, &parts) }
            length = text.withUnsafeMutableBufferPointer { text in
                text.withMemoryRebound(to: CChar.self) { strftime($0.baseAddress!, Self.maximumCount, format, &parts) }
            }
            second = now
        }
        text.withUnsafeBytes { line.append(UnsafeRawBufferPointer(rebasing: $0[..<length])) }
    }
}

extension LogLine {
    /// The current time as `2026-12-04T05:20:00+0000`, local.
    mutating func appendLocalTime() {
        LogTimeStamp.local.append(time(nil), to: &self)
    }

    /// The current time as `2026-12-04T05:20:00.123Z`, UTC with milliseconds.
    mutating func appendUTCTime() {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        LogTimeStamp.utcSeconds.append(now.tv_sec, to: &self)
        let millis = Int(now.tv_nsec / 1_000_000)
        append(UInt8(ascii: "0") + UInt8(millis / 100))
        append(UInt8(ascii: "0") + UInt8(millis / 10 % 10))
        append(UInt8(ascii: "0") + UInt8(millis % 10))
        append(UInt8(ascii: "Z"))
    }
}

/// A handler that writes `LogLine`s and keeps its metadata in a `metadata` property.
protocol LineLogHandler: LogHandler {}

extension LineLogHandler {
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
}
