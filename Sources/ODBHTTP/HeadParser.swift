/// Parses a request or response head from the bytes buffered so far, resuming across calls.
///
/// Give every call the whole buffer since the head's first byte; the parser remembers how
/// far it scanned, so total work stays linear however the bytes trickle in. Use a fresh
/// parser (or `reset()`) for each message.
///
/// `parse` is inlinable so the relay's module compiles it for its concrete head type, instead
/// of looking up the runtime metadata of its `Result` and tuple types on every call.
public struct HeadParser<Head: Sendable>: Sendable {
    public let limits: HeadLimits
    @usableFromInline let decode: @Sendable (UnsafeRawBufferPointer, HeadLimits) -> Result<Head, HTTPParseError>
    @usableFromInline var boundary: HeadBoundaryScanner

    private init(
        limits: HeadLimits,
        skipsLeadingEmptyLines: Bool,
        decode: @escaping @Sendable (UnsafeRawBufferPointer, HeadLimits) -> Result<Head, HTTPParseError>
    ) {
        self.limits = limits
        self.decode = decode
        self.boundary = HeadBoundaryScanner(skipsLeadingEmptyLines: skipsLeadingEmptyLines)
    }

    /// Parses `buffered`, which must begin with the bytes passed to earlier calls.
    @inlinable
    public mutating func parse(_ buffered: UnsafeRawBufferPointer) -> HeadParseResult<Head> {
        switch boundary.scan(buffered, limit: limits.maxHeadBytes) {
        case .needMore:
            return .needMore
        case let .invalid(error):
            return .invalid(error)
        case let .end(start, end):
            switch decode(UnsafeRawBufferPointer(rebasing: buffered[start..<end]), limits) {
            case let .success(head): return .complete(head, headLength: end)
            case let .failure(error): return .invalid(error)
            }
        }
    }

    /// Parses bytes held in any collection, copying only when it has no contiguous storage.
    @inlinable
    public mutating func parse<Bytes: Collection<UInt8>>(_ buffered: Bytes) -> HeadParseResult<Head> {
        if let result = buffered.withContiguousStorageIfAvailable({ parse(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(buffered).withUnsafeBytes { parse($0) }
    }

    /// Prepares the parser for the next message's head.
    public mutating func reset() {
        boundary = HeadBoundaryScanner(skipsLeadingEmptyLines: boundary.skipsLeadingEmptyLines)
    }
}

extension HeadParser where Head == RequestHead {
    public init(limits: HeadLimits = HeadLimits()) {
        self.init(limits: limits, skipsLeadingEmptyLines: true, decode: RequestHead.decode)
    }
}

extension HeadParser where Head == ResponseHead {
    public init(limits: HeadLimits = HeadLimits()) {
        self.init(limits: limits, skipsLeadingEmptyLines: false, decode: ResponseHead.decode)
    }
}
