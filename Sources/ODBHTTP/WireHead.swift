/// A message head that writes its wire form into memory sized for it beforehand, so a head
/// goes to a socket's queue, or into an array, in one allocation-free pass.
public protocol WireHead {
    /// The bytes `write(to:)` writes.
    var serializedCount: Int { get }
    /// Writes the wire form: start line, fields with their original name case, empty line.
    func write(to writer: inout HeadWriter)
}

extension WireHead {
    /// The wire form in an array allocated once.
    public func serialize() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: serializedCount) { buffer, initialized in
            write(into: UnsafeMutableRawBufferPointer(buffer))
            initialized = buffer.count
        }
    }

    /// Writes the wire form to the start of `buffer`, which holds exactly `serializedCount` bytes.
    public func write(into buffer: UnsafeMutableRawBufferPointer) {
        var writer = HeadWriter(buffer)
        write(to: &writer)
        writer.finish()
    }
}

/// Writes bytes one after another into memory counted for them, trapping rather than writing
/// past it or leaving any of it unwritten.
public struct HeadWriter {
    private let buffer: UnsafeMutableRawBufferPointer
    private var written = 0

    init(_ buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress else { return }
        precondition(written + bytes.count <= buffer.count, "head longer than counted")
        (buffer.baseAddress! + written).copyMemory(from: source, byteCount: bytes.count)
        written += bytes.count
    }

    mutating func write(_ byte: UInt8) {
        precondition(written < buffer.count, "head longer than counted")
        buffer[written] = byte
        written += 1
    }

    /// Writes the UTF-8 of `text`.
    mutating func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    /// Writes the field line `name: value` CRLF, or `name:` CRLF for an empty value, with one
    /// check of the room it takes.
    mutating func writeField(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let length = name.count + value.count + (value.isEmpty ? 3 : 4)
        precondition(!name.isEmpty && written + length <= buffer.count, "head longer than counted")
        var line = buffer.baseAddress! + written
        written += length
        line.copyMemory(from: name.baseAddress!, byteCount: name.count)
        line += name.count
        line.storeBytes(of: ByteClass.colon, as: UInt8.self)
        line += 1
        if !value.isEmpty {
            line.storeBytes(of: ByteClass.space, as: UInt8.self)
            (line + 1).copyMemory(from: value.baseAddress!, byteCount: value.count)
            line += 1 + value.count
        }
        line.storeBytes(of: ByteClass.cr, as: UInt8.self)
        (line + 1).storeBytes(of: ByteClass.lf, as: UInt8.self)
    }

    mutating func writeLineEnd() {
        write(ByteClass.cr)
        write(ByteClass.lf)
    }

    /// Checks that the bytes written are all the memory there was.
    func finish() {
        precondition(written == buffer.count, "head shorter than counted")
    }
}
