/// Finds where a head ends, resuming where the previous call stopped.
///
/// Resuming keeps a head delivered one byte per packet linear instead of quadratic. It also
/// rejects bare CR and LF as soon as they arrive, since a head containing them could never
/// be accepted and waiting for the size limit would only waste memory.
@usableFromInline
struct HeadBoundaryScanner: Sendable {
    @usableFromInline
    enum Boundary: Equatable {
        case needMore
        /// The head is `bytes[start..<end]`; bytes before `start` were skipped empty lines.
        case end(start: Int, end: Int)
        case invalid(HTTPParseError)
    }

    /// Requests may be preceded by empty lines (RFC 9112 §2.2 asks servers to ignore at
    /// least one); responses may not.
    let skipsLeadingEmptyLines: Bool
    private var scanned = 0
    private var lineStart = 0
    private var headStart = 0

    init(skipsLeadingEmptyLines: Bool) {
        self.skipsLeadingEmptyLines = skipsLeadingEmptyLines
    }

    /// Scans `buffer`, which must start with the bytes given to earlier calls.
    ///
    /// A CR is taken with the LF after it; one that ends the bytes so far is scanned again
    /// with the bytes that follow it.
    @usableFromInline
    mutating func scan(_ buffer: UnsafeRawBufferPointer, limit: Int) -> Boundary {
        let stop = min(buffer.count, limit)
        var index = scanned
        while index < stop {
            index = ByteClass.firstIndex(below: ByteClass.cr + 1, in: buffer, from: index, to: stop)
            guard index < stop else { break }
            let byte = buffer[index]
            if byte == ByteClass.cr {
                guard index + 1 < stop else { break }
                guard buffer[index + 1] == ByteClass.lf else { return .invalid(.bareCarriageReturn) }
                if index == lineStart {
                    if lineStart != headStart {
                        return .end(start: headStart, end: index + 2)
                    }
                    guard skipsLeadingEmptyLines else { return .invalid(.invalidStatusLine) }
                    headStart = index + 2
                }
                index += 2
                lineStart = index
            } else if byte == ByteClass.lf {
                return .invalid(.bareLineFeed)
            } else {
                index += 1
            }
        }
        scanned = index
        return buffer.count >= limit ? .invalid(.headTooLarge) : .needMore
    }
}
