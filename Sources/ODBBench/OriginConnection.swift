import Glibc

/// One keep-alive connection of the built-in origin: parses request heads, sends bodies.
///
/// Only what the bench sends is understood: GET (or HEAD) without a request body. Anything
/// else gets an error status and the connection closes, so a confused client cannot make the
/// origin misframe later responses.
struct OriginConnection {
    let socket: TCPSocket
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
                    respond(status: "431 Request Header Fields Too Large", body: 0, close: true)
                    return
                }
                guard let count = try? socket.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])),
                      count > 0 else { return }
                filled += count
                continue
            }
            let head = String(decoding: UnsafeRawBufferPointer(rebasing: buffer[0..<headEnd]), as: UTF8.self)
            let request = OriginRequest(head: head)
            let keepOpen = answer(request)
            guard keepOpen else { return }
            let rest = filled - (headEnd + 4)
            if rest > 0 { memmove(buffer.baseAddress!, buffer.baseAddress! + headEnd + 4, rest) }
            filled = rest
        }
    }

    /// Sends the response to `request`; false when the connection must close.
    private func answer(_ request: OriginRequest) -> Bool {
        switch request.target {
        case .bytes(let size) where request.method == "GET" || request.method == "HEAD":
            return respond(status: "200 OK", body: size, close: request.wantsClose, omitBody: request.method == "HEAD")
        case .bytes:
            respond(status: "405 Method Not Allowed", body: 0, close: true)
            return false
        case .unknown:
            respond(status: "404 Not Found", body: 0, close: true)
            return false
        case .malformed:
            respond(status: "400 Bad Request", body: 0, close: true)
            return false
        }
    }

    /// Writes a head and `body` pattern bytes; false when the write failed or `close` was asked.
    @discardableResult
    private func respond(status: String, body: Int, close: Bool, omitBody: Bool = false) -> Bool {
        let head = "HTTP/1.1 \(status)\r\nContent-Length: \(body)\r\nContent-Type: application/octet-stream\r\n"
            + (close ? "Connection: close\r\n" : "") + "\r\n"
        do {
            try socket.writeAll(Array(head.utf8))
            var sent = 0
            while !omitBody && sent < body {
                let slice = PatternBytes.slice(at: sent, count: body - sent)
                try socket.writeAll(slice)
                sent += slice.count
            }
        } catch {
            return false
        }
        return !close
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
