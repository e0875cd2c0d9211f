import Glibc

/// One keep-alive connection of the built-in origin: parses request heads and sends what its
/// listener's service answers.
///
/// Only what the bench and the soak send is understood: GET (or HEAD) without a request body,
/// and uploads of pattern bytes, which it reads and checks. Anything else gets an error status
/// and the connection closes, so a confused client cannot make the origin misframe later
/// responses.
struct OriginConnection {
    let socket: TCPSocket
    let service: any OriginService
    /// Request heads larger than this are refused; the bench's heads are ~100 bytes.
    static let maxHead = 16 << 10

    /// Serves requests until the peer closes, asks to close, or sends something unsupported.
    func serve() {
        let capacity = Self.maxHead * 2
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        var filled = 0
        while true {
            // Pipelined requests may already sit in the buffer; read only when none is whole.
            let headEnd = Self.findHeadEnd(UnsafeRawBufferPointer(rebasing: buffer[0..<filled]))
            guard let headEnd else {
                guard filled < Self.maxHead else {
                    _ = send(.refusal("431 Request Header Fields Too Large", close: true))
                    return
                }
                guard let count = try? socket.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])),
                      count > 0 else { return }
                filled += count
                continue
            }
            let request = OriginRequest(head: UnsafeRawBufferPointer(rebasing: buffer[0..<(headEnd + 4)]))
            var consumed = headEnd + 4
            var upload: UploadCheck?
            if case .upload(let framing) = request.target {
                var reader = UploadReader(framing)
                while upload == nil {
                    switch reader.consume(UnsafeRawBufferPointer(rebasing: buffer[consumed..<filled])) {
                    case .finished(let check, let used):
                        upload = check
                        consumed += used
                    case .needMore:
                        guard let count = try? socket.read(into: buffer), count > 0 else { return }
                        filled = count
                        consumed = 0
                    }
                }
            }
            guard send(service.answer(request, upload: upload)) else { return }
            let rest = filled - consumed
            if rest > 0 { memmove(buffer.baseAddress!, buffer.baseAddress! + consumed, rest) }
            filled = rest
        }
    }

    /// Writes `response`'s head and body; false when the write failed or the connection closes.
    private func send(_ response: OriginResponse) -> Bool {
        do {
            try socket.writeAll(Array(response.head.utf8))
            var sent = 0
            while sent < response.bodyBytes {
                let slice = PatternBytes.slice(at: sent, count: response.bodyBytes - sent)
                try socket.writeAll(slice)
                sent += slice.count
            }
        } catch {
            return false
        }
        return !response.close
    }

    /// The offset of the blank line ending the first head in `bytes`.
    static func findHeadEnd(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }
}
