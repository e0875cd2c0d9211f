import Glibc

/// A TCP port free on 127.0.0.1 at the moment of asking.
public func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
            bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
        }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Waits until something accepts TCP connections on `port`.
public func waitForPort(_ port: Int, host: String = "127.0.0.1", seconds: Double = Waiting.timeout) -> Bool {
    eventually(timeout: seconds) {
        guard let client = try? TestHTTPClient(port: port, host: host) else { return false }
        client.close()
        return true
    }
}
