import Foundation
import Glibc
import Synchronization

/// A TCP port free on 127.0.0.1 at the moment of asking, for a server a test starts next.
///
/// It lies below the kernel's ephemeral range, so no outgoing connection can take it before
/// that server binds it, as one from bind(0) can ("Address already in use" in a full run, the
/// port taken by some test's client in between). Each call in this process hands out another
/// port, from a starting point set by the process id, so that test processes running at once
/// start apart.
public func freePort() -> Int {
    for _ in 0..<PortPool.size {
        let port = PortPool.lower + PortPool.next.wrappingAdd(1, ordering: .relaxed).oldValue % PortPool.size
        if let listener = loopbackListener(port: port) {
            close(listener.fd)
            return port
        }
    }
    return 0
}

private enum PortPool {
    /// Above the well-known and registered ports most services use.
    static let lower = 10_000
    /// Up to the first port of the kernel's ephemeral range (32768 by default).
    static let size = max(1_000, ephemeralFloor() - lower)
    static let next = Atomic<Int>(Int(getpid()) &* 7_919)

    private static func ephemeralFloor() -> Int {
        let range = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)
        return range?.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32_768
    }
}

/// A listening TCP socket on 127.0.0.1 at `port`, or at one the kernel picks (0); nil when that fails.
public func loopbackListener(port: Int = 0) -> (fd: Int32, port: Int)? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = loopbackAddress(port: port)
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
