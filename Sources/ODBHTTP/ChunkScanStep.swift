/// What `ChunkedScanner.scan` found in the bytes it was given.
public enum ChunkScanStep: Sendable, Hashable {
    /// Every byte was consumed and the body continues.
    ///
    /// `dataRemainingInChunk` chunk-data bytes come next; the caller may move them by other
    /// means (splice, the kernel) and then call `ChunkedScanner.skipData`.
    case needMore(dataRemainingInChunk: UInt64)
    /// The body ended after the first `consumed` bytes; later bytes belong to the next message.
    case complete(consumed: Int)
    /// The body is malformed; it must not be forwarded further and the connection must close.
    case invalid(HTTPParseError)
}
