/// Walks a chunked body (RFC 9112 §7.1) to find where it ends, without decoding it.
///
/// The relay forwards chunk framing unchanged, so it only needs the body's extent and the
/// assurance that both ends of the relay read the same extent. State is kept per byte, so
/// any split of the input gives the same result as one feed. Chunk data need not pass
/// through `scan` at all: `skipData` accounts for bytes moved by the kernel.
public struct ChunkedScanner: Sendable {
    private enum State: Sendable, Equatable {
        case sizeStart, size, sizeWhitespace
        case extensionNameStart, extensionName, extensionAfterName
        case extensionValueStart, extensionToken, extensionQuoted, extensionQuotedEscape
        case extensionAfterQuoted, extensionAfterValue
        case sizeLineLF
        case data, dataCR, dataLF
        case trailerLineStart, trailerName, trailerValue, trailerLF, finalLF
        case done
        case failed(HTTPParseError)
    }

    /// chunk-size digits allowed; 16 fit in UInt64, more is only padding to confuse parsers.
    static let maxSizeDigits = 16

    /// Longest chunk-size line, extensions included, CRLF excluded.
    public let maxLineLength: Int
    /// Most bytes the trailer section may take, its final CRLF included.
    public let maxTrailerBytes: Int
    /// Most trailer field lines.
    public let maxTrailerFields: Int

    private var state = State.sizeStart
    private var chunkSize: UInt64 = 0
    private var sizeDigits = 0
    private var lineLength = 0
    private var trailerBytes = 0
    private var trailerFields = 0
    /// Chunk-data bytes of the current chunk not yet consumed; 0 outside chunk data.
    public private(set) var dataRemainingInChunk: UInt64 = 0

    public init(maxLineLength: Int = 4096, maxTrailerBytes: Int = 8192, maxTrailerFields: Int = 100) {
        self.maxLineLength = maxLineLength
        self.maxTrailerBytes = maxTrailerBytes
        self.maxTrailerFields = maxTrailerFields
    }

    /// Whether the last chunk, trailer section and final CRLF have all been seen.
    public var isComplete: Bool { state == .done }

    /// Consumes `bytes`, the body's next bytes, stopping at the end of the body.
    public mutating func scan(_ bytes: UnsafeRawBufferPointer) -> ChunkScanStep {
        switch state {
        case .done: return .complete(consumed: 0)
        case let .failed(error): return .invalid(error)
        default: break
        }
        var index = 0
        while index < bytes.count {
            if state == .data {
                let take = min(dataRemainingInChunk, UInt64(bytes.count - index))
                index += Int(take)
                skipData(take)
                continue
            }
            step(bytes[index])
            index += 1
            switch state {
            case .done: return .complete(consumed: index)
            case let .failed(error): return .invalid(error)
            default: continue
            }
        }
        return .needMore(dataRemainingInChunk: dataRemainingInChunk)
    }

    /// Consumes `bytes` held in any collection, copying only when it has no contiguous storage.
    public mutating func scan<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> ChunkScanStep {
        if let step = bytes.withContiguousStorageIfAvailable({ scan(UnsafeRawBufferPointer($0)) }) {
            return step
        }
        return Array(bytes).withUnsafeBytes { scan($0) }
    }

    /// Accounts for `count` bytes of the current chunk's data forwarded without `scan`.
    public mutating func skipData(_ count: UInt64) {
        precondition(count <= dataRemainingInChunk, "skipped past the end of the chunk data")
        guard count > 0 else { return }
        dataRemainingInChunk -= count
        if dataRemainingInChunk == 0 {
            state = .dataCR
        }
    }

    private mutating func fail(_ error: HTTPParseError) {
        state = .failed(error)
    }

    private mutating func step(_ byte: UInt8) {
        switch state {
        case .sizeStart, .size, .sizeWhitespace, .extensionNameStart, .extensionName, .extensionAfterName,
             .extensionValueStart, .extensionToken, .extensionQuoted, .extensionQuotedEscape,
             .extensionAfterQuoted, .extensionAfterValue:
            stepSizeLine(byte)
        case .sizeLineLF:
            guard byte == ByteClass.lf else { return fail(.missingChunkCRLF) }
            if chunkSize == 0 {
                state = .trailerLineStart
            } else {
                dataRemainingInChunk = chunkSize
                state = .data
            }
        case .data:
            preconditionFailure("chunk data is consumed in bulk")
        case .dataCR:
            state = byte == ByteClass.cr ? .dataLF : .failed(.missingChunkCRLF)
        case .dataLF:
            guard byte == ByteClass.lf else { return fail(.missingChunkCRLF) }
            chunkSize = 0
            sizeDigits = 0
            lineLength = 0
            state = .sizeStart
        case .trailerLineStart, .trailerName, .trailerValue, .trailerLF, .finalLF:
            stepTrailer(byte)
        case .done, .failed:
            return
        }
    }

    /// chunk-size [ chunk-ext ] before the CR; whitespace is allowed only where BWS is.
    private mutating func stepSizeLine(_ byte: UInt8) {
        if byte != ByteClass.cr {
            lineLength += 1
        }
        guard lineLength <= maxLineLength else { return fail(.chunkLineTooLong) }
        guard byte != ByteClass.lf else { return fail(.missingChunkCRLF) }
        let isSpace = ByteClass.isWhitespace(byte)
        let isToken = ByteClass.isToken(byte)
        switch state {
        case .sizeStart, .size:
            if let digit = ByteClass.hexValue(byte) {
                return addSizeDigit(digit)
            }
            guard state == .size else { return fail(.badChunkSize) }
            switch byte {
            case ByteClass.cr: state = .sizeLineLF
            case UInt8(ascii: ";"): state = .extensionNameStart
            case _ where isSpace: state = .sizeWhitespace
            default: fail(.badChunkSize)
            }
        case .sizeWhitespace:
            if byte == UInt8(ascii: ";") {
                state = .extensionNameStart
            } else if !isSpace {
                fail(.badChunkExtension)
            }
        case .extensionNameStart:
            if isToken {
                state = .extensionName
            } else if !isSpace {
                fail(.badChunkExtension)
            }
        case .extensionName, .extensionToken:
            switch byte {
            case _ where isToken: break
            case ByteClass.cr: state = .sizeLineLF
            case UInt8(ascii: ";"): state = .extensionNameStart
            case UInt8(ascii: "=") where state == .extensionName: state = .extensionValueStart
            case _ where isSpace: state = state == .extensionName ? .extensionAfterName : .extensionAfterValue
            default: fail(.badChunkExtension)
            }
        case .extensionAfterName:
            switch byte {
            case UInt8(ascii: "="): state = .extensionValueStart
            case UInt8(ascii: ";"): state = .extensionNameStart
            case _ where isSpace: break
            default: fail(.badChunkExtension)
            }
        case .extensionValueStart:
            switch byte {
            case _ where isToken: state = .extensionToken
            case UInt8(ascii: "\""): state = .extensionQuoted
            case _ where isSpace: break
            default: fail(.badChunkExtension)
            }
        case .extensionQuoted:
            switch byte {
            case UInt8(ascii: "\""): state = .extensionAfterQuoted
            case UInt8(ascii: "\\"): state = .extensionQuotedEscape
            case _ where ByteClass.isFieldValueByte(byte): break
            default: fail(.badChunkExtension)
            }
        case .extensionQuotedEscape:
            state = ByteClass.isFieldValueByte(byte) ? .extensionQuoted : .failed(.badChunkExtension)
        case .extensionAfterQuoted:
            switch byte {
            case ByteClass.cr: state = .sizeLineLF
            case UInt8(ascii: ";"): state = .extensionNameStart
            case _ where isSpace: state = .extensionAfterValue
            default: fail(.badChunkExtension)
            }
        case .extensionAfterValue:
            if byte == UInt8(ascii: ";") {
                state = .extensionNameStart
            } else if !isSpace {
                fail(.badChunkExtension)
            }
        default:
            preconditionFailure("not in a chunk-size line")
        }
    }

    private mutating func addSizeDigit(_ digit: UInt8) {
        sizeDigits += 1
        let value = UInt64(digit)
        guard sizeDigits <= Self.maxSizeDigits, chunkSize <= (FramingFields.maxContentLength - value) / 16 else {
            return fail(.chunkSizeOverflow)
        }
        chunkSize = chunkSize * 16 + value
        state = .size
    }

    /// trailer-section CRLF, each line a field line under the head's rules, checked per byte.
    private mutating func stepTrailer(_ byte: UInt8) {
        trailerBytes += 1
        guard trailerBytes <= maxTrailerBytes else { return fail(.trailerSectionTooLarge) }
        switch state {
        case .trailerLineStart:
            if byte == ByteClass.cr {
                state = .finalLF
            } else if byte == ByteClass.lf {
                fail(.missingChunkCRLF)
            } else if ByteClass.isToken(byte) {
                trailerFields += 1
                state = trailerFields <= maxTrailerFields ? .trailerName : .failed(.trailerSectionTooLarge)
            } else {
                fail(.badTrailer)
            }
        case .trailerName:
            if byte == ByteClass.colon {
                state = .trailerValue
            } else if !ByteClass.isToken(byte) {
                fail(.badTrailer)
            }
        case .trailerValue:
            if byte == ByteClass.cr {
                state = .trailerLF
            } else if !ByteClass.isFieldValueByte(byte) {
                fail(.badTrailer)
            }
        case .trailerLF:
            state = byte == ByteClass.lf ? .trailerLineStart : .failed(.badTrailer)
        case .finalLF:
            state = byte == ByteClass.lf ? .done : .failed(.missingChunkCRLF)
        default:
            preconditionFailure("not in the trailer section")
        }
    }
}
