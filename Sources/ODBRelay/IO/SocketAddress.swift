import Glibc

/// An IPv4 or IPv6 socket address, resolved and ready for bind or connect.
public struct SocketAddress: Sendable, CustomStringConvertible, Hashable {
    public let family: Int32
    let storage: [UInt8]

    init(copying address: UnsafePointer<sockaddr>, length: socklen_t) {
        family = Int32(address.pointee.sa_family)
        storage = Array(UnsafeRawBufferPointer(start: address, count: Int(length)))
    }

    /// Resolves `host` (a literal or a name; empty for all addresses) and `port`.
    ///
    /// Names resolve through getaddrinfo, so /etc/hosts and DNS both work; every address
    /// returned is kept, IPv4 and IPv6 alike.
    public static func resolve(host: String, port: Int, passive: Bool = false) throws(SystemError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        if passive { hints.ai_flags = AI_PASSIVE }
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host.isEmpty ? nil : host, String(port), &hints, &result)
        guard status == 0, let first = result else {
            throw SystemError("resolving \(host):\(port) (\(String(cString: gai_strerror(status))))", errno: EHOSTUNREACH)
        }
        defer { freeaddrinfo(result) }
        var addresses = [SocketAddress]()
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            if let address = current.pointee.ai_addr {
                addresses.append(SocketAddress(copying: address, length: current.pointee.ai_addrlen))
            }
            entry = current.pointee.ai_next
        }
        return addresses
    }

    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        storage.withUnsafeBytes { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
    }

    /// The address part only, as text (for X-Forwarded-For).
    public var hostText: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        storage.withUnsafeBytes { raw in
            if family == AF_INET6 {
                let address = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
                var bytes = address.pointee.sin6_addr
                _ = inet_ntop(AF_INET6, &bytes, &text, socklen_t(text.count))
            } else {
                let address = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
                var bytes = address.pointee.sin_addr
                _ = inet_ntop(AF_INET, &bytes, &text, socklen_t(text.count))
            }
        }
        return String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The address bytes without the port: 4 for IPv4, 16 for IPv6.
    private var hostBytes: ArraySlice<UInt8> {
        family == AF_INET6
            ? storage[MemoryLayout<sockaddr_in6>.offset(of: \sockaddr_in6.sin6_addr)!...].prefix(16)
            : storage[MemoryLayout<sockaddr_in>.offset(of: \sockaddr_in.sin_addr)!...].prefix(4)
    }

    /// A loopback address: 127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into IPv6.
    var isLoopback: Bool {
        let bytes = Array(hostBytes)
        if family == AF_INET { return bytes.first == 127 }
        let mapped = bytes.prefix(10).allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
        return mapped ? bytes[12] == 127 : bytes == Array(repeating: 0, count: 15) + [1]
    }

    /// Whether both name the same host address, ports aside.
    func sameHost(as other: SocketAddress) -> Bool {
        family == other.family && hostBytes.elementsEqual(other.hostBytes)
    }

    public var port: Int {
        storage.withUnsafeBytes { raw in
            if family == AF_INET6 {
                return Int(UInt16(bigEndian: raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self).pointee.sin6_port))
            }
            return Int(UInt16(bigEndian: raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self).pointee.sin_port))
        }
    }

    public var description: String {
        family == AF_INET6 ? "[\(hostText)]:\(port)" : "\(hostText):\(port)"
    }
}
