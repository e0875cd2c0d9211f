import Glibc

/// A TCP port free on 127.0.0.1 at the moment of asking.
public func freePort() -> Int {
    guard let listener = loopbackListener() else { return 0 }
    close(listener.fd)
    return listener.port
}

/// A listening TCP socket on 127.0.0.1 at a port the kernel picks; nil when that fails.
public func loopbackListener() -> (fd: Int32, port: Int)? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = loopbackAddress(port: 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
            bind(fd, raw, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, raw, &length) == 0
        }
    }
    guard bound else {
        close(fd)
        return nil
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

/// A new TCP socket connected to 127.0.0.1:`port` (blocking); nil when that fails.
public func connectLoopback(port: Int) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = loopbackAddress(port: port)
    let connected = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
    guard connected else {
        close(fd)
        return nil
    }
    return fd
}

func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return address
}

/// Waits until something accepts TCP connections on `port`.
public func waitForPort(_ port: Int, host: String = "127.0.0.1", seconds: Double = Waiting.timeout) -> Bool {
    eventually(timeout: seconds) {
        guard let client = try? TestHTTPClient(port: port, host: host) else { return false }
        client.close()
        return true
    }
}
