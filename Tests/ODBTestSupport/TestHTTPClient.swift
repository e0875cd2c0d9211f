import Foundation
import Glibc

/// A blocking HTTP/1.1 client over a raw socket: what a test needs to check bytes exactly,
/// send pipelined requests and read slowly.
public final class TestHTTPClient {
    public struct Response {
        public let status: Int
        public let headers: [(String, String)]
        public let body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    /// The peer closed or reset the connection before the message ended.
    public struct ClosedEarly: Error, CustomStringConvertible {
        public let description: String
    }

    /// No connection was made: nothing listened, or the listener refused it.
    public struct ConnectFailed: Error, CustomStringConvertible {
        public let description: String
    }

    /// The receive timeout passed with the connection open: the peer neither sent nor closed.
    /// Kept apart from `ClosedEarly` so that a test expecting the relay to end a connection
    /// fails when the relay leaves it hanging instead.
    public struct ReceiveTimedOut: Error, CustomStringConvertible {
        public let description: String
    }

    public let fd: Int32
    private var buffer = [UInt8]()

    public init(port: Int, host: String = "127.0.0.1", receiveTimeout: Int = 60) throws {
        let v6 = host.contains(":")
        fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: receiveTimeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected: Bool
        if v6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(port).bigEndian
            inet_pton(AF_INET6, host, &address.sin6_addr)
            connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0 }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = inet_addr(host)
            connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
        }
        guard connected else {
            let error = errno
            Glibc.close(fd)
            throw ConnectFailed(description: "connect to \(host):\(port) failed: errno \(error)")
        }
    }

    /// The port this client's end of the connection is bound to.
    public var localPort: Int {
        var address = sockaddr_in6()
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        // sin_port and sin6_port sit at the same offset, right after the family.
        return Int(UInt16(bigEndian: address.sin6_port))
    }

    public func close() {
        Glibc.close(fd)
    }

    /// Caps the receive buffer (SO_RCVBUF), so that what the client has not read waits in its
    /// peer's send queue rather than in its own socket.
    public func limitReceiveBuffer(_ bytes: Int32) {
        var size = bytes
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Sends a FIN and keeps reading: the client has said all it will say.
    public func shutdownWrite() {
        Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// Closes with a TCP reset (SO_LINGER 0) instead of a FIN.
    public func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        Glibc.close(fd)
    }

    public func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw ClosedEarly(description: "send failed: errno \(errno)") }
            offset += sent
        }
    }

    public func get(_ path: String, host: String = "test", extra: String = "") throws -> Response {
        try send("GET \(path) HTTP/1.1\r\nHost: \(host)\r\n\(extra)\r\n")
        return try readResponse()
    }

    /// Reads more bytes into the buffer; false at end of stream.
    private func fill(max: Int = 1 << 20) throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: max)
        let received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, max, 0) }
        if received < 0 {
            let error = errno
            if error == EAGAIN || error == EWOULDBLOCK {
                throw ReceiveTimedOut(description: "no byte and no close within the receive timeout (\(buffer.count) bytes buffered)")
            }
            throw ClosedEarly(description: "recv failed: errno \(error)")
        }
        if received == 0 { return false }
        buffer.append(contentsOf: chunk[..<received])
        return true
    }

    /// Every byte until the peer ends its side: what an opaque stream or a tunnel carried.
    public func readToEnd() throws -> [UInt8] {
        while try fill() {}
        defer { buffer.removeAll() }
        return buffer
    }

    /// The next `count` bytes of the stream, or fewer if the peer ends its side first.
    public func readBytes(_ count: Int) throws -> [UInt8] {
        while buffer.count < count, try fill(max: min(1 << 20, count - buffer.count)) {}
        let taken = Array(buffer.prefix(count))
        buffer.removeFirst(taken.count)
        return taken
    }

    /// Reads one response. `pace`, given the body bytes read so far, returns how long to sleep
    /// (microseconds) before the next 64 KiB read, to act as a slow client.
    public func readResponse(headRequest: Bool = false, pace: ((Int) -> UInt32)? = nil) throws -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            headEnd = buffer.firstRange(of: separator)?.upperBound
            if headEnd == nil, try !fill() { throw ClosedEarly(description: "closed before a response head (\(buffer.count) bytes)") }
        }
        let head = String(decoding: buffer[..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd!)
        let lines = head.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let status = Int(lines[0].split(separator: " ")[1]) ?? 0
        let headers = lines.dropFirst().map { line -> (String, String) in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let response = Response(status: status, headers: headers, body: [])
        if headRequest || status == 204 || status == 304 || (100..<200).contains(status) {
            return response
        }
        var body = [UInt8]()
        if let length = response.header("Content-Length").flatMap(Int.init) {
            body.reserveCapacity(length)
            while body.count < length {
                if buffer.isEmpty {
                    let pause = pace?(body.count) ?? 0
                    if pause > 0 { usleep(pause) }
                    if try !fill(max: pace == nil ? 1 << 20 : 65536) {
                        throw ClosedEarly(description: "closed after \(body.count) of \(length) body bytes")
                    }
                }
                let take = min(buffer.count, length - body.count)
                body.append(contentsOf: buffer[..<take])
                buffer.removeFirst(take)
            }
        } else if response.header("Transfer-Encoding")?.lowercased() == "chunked" {
            body = try readChunked()
        } else {
            body = buffer
            buffer.removeAll()
            while try fill() {
                body.append(contentsOf: buffer)
                buffer.removeAll()
            }
        }
        return Response(status: status, headers: headers, body: body)
    }

    private func readLine() throws -> String {
        while true {
            if let end = buffer.firstRange(of: [13, 10]) {
                let line = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
                buffer.removeFirst(end.upperBound)
                return line
            }
            if try !fill() { throw ClosedEarly(description: "closed inside a chunked body") }
        }
    }

    private func readChunked() throws -> [UInt8] {
        var body = [UInt8]()
        while true {
            let sizeLine = try readLine()
            let size = Int(sizeLine.split(separator: ";")[0], radix: 16) ?? -1
            if size == 0 {
                while try !readLine().isEmpty {}
                return body
            }
            while buffer.count < size + 2 {
                if try !fill() { throw ClosedEarly(description: "closed inside a chunk") }
            }
            body.append(contentsOf: buffer[..<size])
            buffer.removeFirst(size + 2)
        }
    }

    /// True when the server closed the connection: a read meets the end of the stream or a
    /// reset. False when bytes arrive or the receive timeout passes with the connection open.
    public func isClosedByPeer() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        let reset = received < 0 && errno == ECONNRESET
        if received > 0 { buffer.append(contentsOf: chunk[..<received]) }
        return received == 0 || reset
    }
}
