import Glibc

/// A keep-alive HTTP/1.1 client that reads every response body and checks it.
///
/// The length must equal the size asked for and, because every origin the bench runs serves
/// `PatternBytes`, every byte must match the pattern at its offset.
final class BodyCheckingClient {
    private let target: HostPort
    private var socket: TCPSocket?
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)
    /// Bytes read past the previous response (none unless the peer sent too much).
    private var pending = 0

    init(target: HostPort) {
        self.target = target
    }

    deinit {
        socket?.close()
        buffer.deallocate()
    }

    /// Sends `GET request.path` and reads and checks the whole response.
    func fetch(_ request: BenchRequest, verifyContent: Bool) throws(BenchError) {
        let socket = try connected()
        let size = request.size
        do throws(BenchError) {
            try socket.writeAll(Array("GET \(request.path) HTTP/1.1\r\nHost: \(target)\r\n\r\n".utf8))
            let (status, length, headEnd, closes) = try readHead(socket)
            guard status == 200 else { throw .badResponse("status \(status) for \(request.path)") }
            guard length == size else {
                throw .badResponse("Content-Length \(length.map(String.init) ?? "missing") for \(request.path)")
            }
            try readBody(socket, request: request, alreadyRead: headEnd, verify: verifyContent)
            if closes { disconnect() }
        } catch {
            disconnect()
            throw error
        }
    }

    private func connected() throws(BenchError) -> TCPSocket {
        if let socket { return socket }
        let socket = try TCPSocket.connect(host: target.host, port: target.port)
        socket.setReceiveTimeout(seconds: 30)
        self.socket = socket
        pending = 0
        return socket
    }

    private func disconnect() {
        socket?.close()
        socket = nil
        pending = 0
    }

    /// Reads up to the end of the head; returns status, Content-Length, where the head ended in
    /// `buffer`, and whether the server closes after this response.
    private func readHead(_ socket: TCPSocket) throws(BenchError) -> (Int, Int?, Int, Bool) {
        var filled = pending
        while true {
            let slice = UnsafeRawBufferPointer(rebasing: buffer[0..<filled])
            if let end = OriginConnection.findHeadEnd(slice) {
                let head = String(decoding: UnsafeRawBufferPointer(rebasing: buffer[0..<end]), as: UTF8.self)
                let parsed = try Self.parseHead(head)
                pending = filled
                return (parsed.status, parsed.length, end + 4, parsed.closes)
            }
            guard filled < 64 << 10 else { throw .badResponse("response head longer than 64 KiB") }
            let count = try socket.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            guard count > 0 else { throw .badResponse("connection closed before the response head ended") }
            filled += count
        }
    }

    static func parseHead(_ head: String) throws(BenchError) -> (status: Int, length: Int?, closes: Bool) {
        let lines = head.split(separator: "\r\n")
        let statusLine = lines.first?.split(separator: " ") ?? []
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw .badResponse("status line \"\(lines.first ?? "")\"")
        }
        var length: Int?
        var closes = statusLine[0] == "HTTP/1.0"
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].filter { $0 != " " && $0 != "\t" }.lowercased()
            if name == "content-length" {
                guard length == nil, let parsed = Int(value) else { throw .badResponse("Content-Length \"\(value)\"") }
                length = parsed
            }
            if name == "transfer-encoding" { throw .badResponse("unexpected Transfer-Encoding \(value)") }
            if name == "connection" { closes = value.contains("close") }
        }
        return (status, length, closes)
    }

    /// Reads the request's body bytes, the first of which may already be in `buffer` after the head.
    private func readBody(_ socket: TCPSocket, request: BenchRequest, alreadyRead headEnd: Int, verify: Bool) throws(BenchError) {
        let size = request.size
        var received = 0
        var start = headEnd
        var end = pending
        while true {
            let available = min(end - start, size - received)
            if available > 0 {
                if verify && !PatternBytes.matches(UnsafeRawBufferPointer(rebasing: buffer[start..<(start + available)]), at: received) {
                    throw .badResponse("body of \(request.path) differs from the pattern within bytes \(received)..<\(received + available)")
                }
                received += available
                start += available
            }
            if received == size { break }
            let count = try socket.read(into: buffer)
            guard count > 0 else { throw .badResponse("short body: \(received) of \(size) bytes, then the connection closed") }
            start = 0
            end = count
        }
        // Bytes after the body belong to no request of ours: the intermediate sent too much.
        guard start == end else { throw .badResponse("\(end - start) bytes after the \(size)-byte body") }
        pending = 0
    }
}
