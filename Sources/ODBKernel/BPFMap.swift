import CLibBPF
import OdbShared
import Glibc

/// A BPF map reached through its file descriptor, with keys and values of shared C types.
///
/// The Swift types are the structs imported from `bpf/include/odb_shared.h`, so a lookup copies
/// exactly the bytes the BPF program wrote.
public struct BPFMap<Key: BitwiseCopyable, Value: BitwiseCopyable>: Sendable {
    public let name: String
    public let fd: Int32

    public init(name: String, fd: Int32) {
        self.name = name
        self.fd = fd
    }

    public func lookup(_ key: Key) -> Value? {
        var key = key
        let value = UnsafeMutablePointer<Value>.allocate(capacity: 1)
        defer { value.deallocate() }
        guard bpf_map_lookup_elem(fd, &key, value) == 0 else { return nil }
        return value.pointee
    }

    public func update(_ key: Key, _ value: Value, flags: UInt64 = UInt64(BPF_ANY)) throws(KernelError) {
        var key = key
        var value = value
        if bpf_map_update_elem(fd, &key, &value, flags) != 0 {
            throw KernelError.fromErrno(errno, operation: "updating map \(name)")
        }
    }

    /// Removes `key`; true when it was there.
    @discardableResult
    public func delete(_ key: Key) -> Bool {
        var key = key
        return bpf_map_delete_elem(fd, &key) == 0
    }

    /// Every key present at the time of the walk (entries may come and go meanwhile).
    public func keys() -> [Key] {
        var result = [Key]()
        let current = UnsafeMutablePointer<Key>.allocate(capacity: 1)
        let next = UnsafeMutablePointer<Key>.allocate(capacity: 1)
        defer { current.deallocate(); next.deallocate() }
        var previous: UnsafeMutablePointer<Key>? = nil
        while bpf_map_get_next_key(fd, previous, next) == 0 {
            result.append(next.pointee)
            current.pointee = next.pointee
            previous = current
            if result.count > 1 << 20 { break }
        }
        return result
    }

    /// Key/value pairs present at the time of the walk.
    public func entries() -> [(key: Key, value: Value)] {
        keys().compactMap { key in lookup(key).map { (key, $0) } }
    }
}

/// A SOCKHASH keyed by socket cookie whose values are socket file descriptors.
public struct SocketHash: Sendable {
    public let map: BPFMap<UInt64, UInt64>

    /// Inserts the socket under its cookie; the kernel wants the fd as a 64-bit value.
    public func insert(cookie: UInt64, fd: Int32) throws(KernelError) {
        var key = cookie
        var value = UInt64(fd)
        if bpf_map_update_elem(map.fd, &key, &value, UInt64(BPF_ANY)) != 0 {
            throw KernelError.fromErrno(errno, operation: "inserting a socket into \(map.name)", privileged: "CAP_NET_ADMIN")
        }
    }

    @discardableResult
    public func remove(cookie: UInt64) -> Bool {
        map.delete(cookie)
    }

    /// Whether the socket with this cookie is in the map (a lookup from user space answers
    /// the socket's cookie).
    public func contains(cookie: UInt64) -> Bool {
        map.lookup(cookie) != nil
    }
}

/// The per-CPU counter array, summed over CPUs on read.
public struct CounterArray: Sendable {
    public let fd: Int32
    /// A lookup writes one value per possible CPU. libbpf learns the count by reading a sysfs
    /// file, which fails without a free descriptor, so it is learned once, here; a negative
    /// count must never size the buffer the kernel writes into.
    private let possibleCPUs: Int

    public init(fd: Int32) {
        self.fd = fd
        possibleCPUs = Int(libbpf_num_possible_cpus())
    }

    /// The totals by `odb_counter` slot; zeros when the CPU count could not be learned.
    public func read() -> [UInt64] {
        var totals = [UInt64](repeating: 0, count: Int(ODB_CTR_COUNT.rawValue))
        guard possibleCPUs > 0 else { return totals }
        var values = [UInt64](repeating: 0, count: possibleCPUs)
        for slot in 0..<UInt32(totals.count) {
            var key = slot
            if bpf_map_lookup_elem(fd, &key, &values) == 0 {
                totals[Int(slot)] = values.reduce(0, &+)
            }
        }
        return totals
    }
}
