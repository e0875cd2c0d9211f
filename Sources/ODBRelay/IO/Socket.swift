import CSocketShims
import Glibc

/// Socket calls the relay makes, on raw non-blocking file descriptors.
public enum Socket {
    /// A listening socket with SO_REUSEPORT, so each worker owns one and the kernel spreads
    /// connections across workers.
    public static func listen(on address: SocketAddress, backlog: Int32 = 1024) throws(SystemError) -> Int32 {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket for \(address)") }
        setFlag(fd, SOL_SOCKET, SO_REUSEADDR)
        setFlag(fd, SOL_SOCKET, SO_REUSEPORT)
        if address.family == AF_INET6 { setFlag(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY) }
        let bound = address.withSockaddr { bind(fd, $0, $1) }
        guard bound == 0, Glibc.listen(fd, backlog) == 0 else {
            let error = SystemError("listening on \(address)")
            close(fd)
            throw error
        }
        return fd
    }

    /// A listening unix stream socket at `path`, readable and writable by this process's user
    /// only; a socket file left by an earlier run is replaced.
    public static func listen(unixPath path: String, backlog: Int32 = 64) throws(SystemError) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw SystemError("unix socket path \(path)", errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket for \(path)") }
        var info = stat()
        if lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK { unlink(path) }
        let previous = umask(0o177)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(previous)
        guard bound == 0, Glibc.listen(fd, backlog) == 0 else {
            let error = SystemError("listening on \(path)")
            close(fd)
            throw error
        }
        return fd
    }

    /// Starts a non-blocking connect; completion shows as writability.
    public static func connect(to address: SocketAddress) throws(SystemError) -> Int32 {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket for \(address)") }
        setFlag(fd, Int32(IPPROTO_TCP), TCP_NODELAY)
        let result = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        if result != 0 && errno != EINPROGRESS {
            let error = SystemError("connecting to \(address)")
            close(fd)
            throw error
        }
        return fd
    }

    /// What one non-blocking accept gave.
    public enum Accepted {
        case connection(fd: Int32, peer: SocketAddress)
        /// No connection is waiting.
        case none
        /// Accepting failed with this errno; the connection, if any, is still waiting.
        case failed(Int32)
    }

    /// Accepts one connection, non-blocking.
    public static func accept(_ listener: Int32) -> Accepted {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                odb_accept_nonblocking(listener, $0, &length)
            }
        }
        guard fd >= 0 else {
            return errno == EAGAIN || errno == EWOULDBLOCK ? .none : .failed(errno)
        }
        setFlag(fd, Int32(IPPROTO_TCP), TCP_NODELAY)
        let peer = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress(copying: $0, length: length) }
        }
        return .connection(fd: fd, peer: peer)
    }

    /// The pending error of a socket (SO_ERROR), 0 when a connect succeeded.
    public static func pendingError(_ fd: Int32) -> Int32 {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        return error
    }

    /// Whether `peer`, the address a socket is connected or connecting to, is on this host: a
    /// loopback address, or the socket's own, which a connection between two local sockets gets
    /// unless one end bound another of the host's addresses. False when the socket's own
    /// address cannot be read.
    public static func isOnThisHost(_ peer: SocketAddress, socket fd: Int32) -> Bool {
        peer.isLoopback || localAddress(fd).map(peer.sameHost) == true
    }

    /// The address a socket is bound to (getsockname); nil when it cannot be read, with errno set.
    static func localAddress(_ fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                getsockname(fd, address, &length) == 0 ? SocketAddress(copying: address, length: length) : nil
            }
        }
    }

    /// The kernel's socket cookie, the key BPF programs use for this socket.
    public static func cookie(_ fd: Int32) -> UInt64 {
        var cookie: UInt64 = 0
        var length = socklen_t(MemoryLayout<UInt64>.size)
        getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &length)
        return cookie
    }

    public static func setFlag(_ fd: Int32, _ level: Int32, _ option: Int32) {
        setOption(fd, level, option, 1)
    }

    @discardableResult
    public static func setOption(_ fd: Int32, _ level: Int32, _ option: Int32, _ value: Int32) -> Bool {
        var value = value
        return setsockopt(fd, level, option, &value, socklen_t(MemoryLayout<Int32>.size)) == 0
    }

    /// A socket's receive or send memory (SO_RCVBUF, SO_SNDBUF): the doubled value the kernel
    /// enforces, set or autotuned; 0 when it cannot tell.
    static func bufferMemory(_ fd: Int32, _ side: SocketBufferCeiling.Direction) -> Int {
        var memory: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, side.option, &memory, &length) == 0 ? Int(memory) : 0
    }

    /// The connection's current maximum segment size (TCP_MAXSEG), or nil when it cannot tell.
    public static func maximumSegmentSize(_ fd: Int32) -> Int32? {
        var size: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, Int32(IPPROTO_TCP), TCP_MAXSEG, &size, &length) == 0 && size > 0 ? size : nil
    }

    /// Makes the kernel re-run data-ready on a socket so bytes queued before it joined a
    /// verdict map are handed to the program (a measured kernel behaviour, see docs/DESIGN.md).
    public static func kickDataReady(_ fd: Int32) {
        setOption(fd, SOL_SOCKET, SO_RCVLOWAT, 1)
    }
}
