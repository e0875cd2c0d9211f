import Glibc

/// A blocking IPv4 TCP socket: the few calls the origin and the load generator need.
///
/// Blocking I/O on one thread per connection keeps both simple; at the concurrency the bench
/// uses (tens of connections) the threads cost less than the bytes they move.
public struct TCPSocket: Sendable {
    public let fd: Int32

    init(fd: Int32) { self.fd = fd }

    /// A listening socket on `host:port` with SO_REUSEPORT, so several can share the port.
    public static func listen(host: String, port: Int, backlog: Int32 = 1024) throws(BenchError) -> TCPSocket {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .lastSystemError("socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = try socketAddress(host: host, port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let error = BenchError.lastSystemError("bind \(host):\(port)")
            _ = Glibc.close(fd)
            throw error
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let error = BenchError.lastSystemError("listen \(host):\(port)")
            _ = Glibc.close(fd)
            throw error
        }
        return TCPSocket(fd: fd)
    }

    /// A connected socket to `host:port`, with Nagle off so small requests leave at once.
    public static func connect(host: String, port: Int) throws(BenchError) -> TCPSocket {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .lastSystemError("socket") }
        var address = try socketAddress(host: host, port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let error = BenchError.lastSystemError("connect \(host):\(port)")
            _ = Glibc.close(fd)
            throw error
        }
        let socket = TCPSocket(fd: fd)
        socket.disableNagle()
        return socket
    }

    /// The port the kernel bound, for a socket listening on port 0.
    public var localPort: Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Accepts one connection; nil when interrupted.
    public func accept() throws(BenchError) -> TCPSocket? {
        // accept4 is a GNU extension Swift does not import; only the origin accepts, and it never
        // starts programs, so the missing close-on-exec flag cannot leak a socket.
        let client = Glibc.accept(fd, nil, nil)
        if client < 0 {
            if errno == EINTR || errno == ECONNABORTED { return nil }
            throw .lastSystemError("accept")
        }
        let socket = TCPSocket(fd: client)
        socket.disableNagle()
        return socket
    }

    func disableNagle() {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Gives up on reads that stall longer than `seconds`, so a stuck peer fails a check.
    public func setReceiveTimeout(seconds: Double) {
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Reads what is there (at least one byte); 0 at end of stream.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(BenchError) -> Int {
        while true {
            let count = recv(fd, buffer.baseAddress, buffer.count, 0)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw .badResponse("read timed out") }
            throw .lastSystemError("recv")
        }
    }

    /// Writes every byte of `buffer`.
    public func writeAll(_ buffer: UnsafeRawBufferPointer) throws(BenchError) {
        var written = 0
        while written < buffer.count {
            let count = send(fd, buffer.baseAddress! + written, buffer.count - written, Int32(MSG_NOSIGNAL))
            if count < 0 {
                if errno == EINTR { continue }
                throw .lastSystemError("send")
            }
            written += count
        }
    }

    /// Writes every byte of `bytes`.
    public func writeAll(_ bytes: [UInt8]) throws(BenchError) {
        let result: Result<Void, BenchError> = bytes.withUnsafeBytes { raw in
            Result { () throws(BenchError) in try writeAll(raw) }
        }
        try result.get()
    }

    public func close() { _ = Glibc.close(fd) }

    /// Stops a thread blocked in accept or recv on this socket.
    public func shutdownBoth() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    private static func socketAddress(host: String, port: Int) throws(BenchError) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw .invalidArgument("\"\(host)\" is not an IPv4 address")
        }
        return address
    }
}
