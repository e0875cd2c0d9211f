import CLibBPF
import Foundation
import Glibc
import OdbShared

/// The maps and programs of one pin directory, open and ready to use.
///
/// Either loaded from the embedded object and pinned, or reopened from existing pins, so that
/// `attach` run twice and relays started later all share one set of maps.
public final class KernelObjects: @unchecked Sendable {
    /// Names of the pinned files, one per map or program.
    public enum Pin {
        public static let maps = [
            "odb_socks", "odb_flows", "odb_windows", "odb_sources", "odb_targets",
            "odb_counters", "odb_event_rings", "odb_attachments", "odb_relays", "odb_meta",
        ]
        public static let sockopsProgram = "prog_odb_sockops"
        public static let verdictProgram = "prog_odb_verdict"
        static let linkPrefix = "link_cgroup_"
    }

    public let pinDirectory: String
    public let socks: BPFMap<UInt64, odb_sock>
    public let flows: BPFMap<UInt64, odb_flow>
    public let windows: BPFMap<UInt64, odb_window>
    public let sources: SocketHash
    public let targets: SocketHash
    public let counters: CounterArray
    public let eventRings: BPFMap<UInt64, UInt32>
    public let attachments: BPFMap<UInt64, odb_attachment>
    public let relays: BPFMap<UInt32, odb_relay_stats>
    public let meta: BPFMap<UInt32, odb_meta>
    public let sockopsProgramFD: Int32
    public let verdictProgramFD: Int32
    private let ownedFDs: [Int32]

    private init(pinDirectory: String, fds: [String: Int32], sockops: Int32, verdict: Int32) {
        func map<K, V>(_ name: String) -> BPFMap<K, V> { BPFMap(name: name, fd: fds[name]!) }
        self.pinDirectory = pinDirectory
        socks = map("odb_socks")
        flows = map("odb_flows")
        windows = map("odb_windows")
        sources = SocketHash(map: map("odb_sources"))
        targets = SocketHash(map: map("odb_targets"))
        counters = CounterArray(fd: fds["odb_counters"]!)
        eventRings = map("odb_event_rings")
        attachments = map("odb_attachments")
        relays = map("odb_relays")
        meta = map("odb_meta")
        sockopsProgramFD = sockops
        verdictProgramFD = verdict
        ownedFDs = Array(fds.values) + [sockops, verdict]
    }

    deinit {
        for fd in ownedFDs { close(fd) }
    }

    /// True when `directory` holds a pinned set (its programs are pinned last, so they mark it).
    public static func isPinned(at directory: String) -> Bool {
        FileManager.default.fileExists(atPath: directory + "/" + Pin.verdictProgram)
    }

    /// Reopens a pinned set, refusing one whose map layout differs from this build's.
    public static func open(pinDirectory: String) throws(KernelError) -> KernelObjects {
        guard isPinned(at: pinDirectory) else { throw .notAttached(pinDirectory: pinDirectory) }
        var fds = [String: Int32]()
        func get(_ name: String) throws(KernelError) -> Int32 {
            let fd = bpf_obj_get(pinDirectory + "/" + name)
            if fd < 0 {
                let error = errno
                for fd in fds.values { close(fd) }
                throw KernelError.fromErrno(error, operation: "opening \(pinDirectory)/\(name)")
            }
            return fd
        }
        for name in Pin.maps { fds[name] = try get(name) }
        let sockops = try get(Pin.sockopsProgram)
        let verdict = try get(Pin.verdictProgram)
        let objects = KernelObjects(pinDirectory: pinDirectory, fds: fds, sockops: sockops, verdict: verdict)
        let version = objects.meta.lookup(0)?.abi_version ?? 0
        guard version == UInt32(ODB_ABI_VERSION) else {
            throw .abiMismatch(pinned: version, expected: UInt32(ODB_ABI_VERSION), pinDirectory: pinDirectory)
        }
        return objects
    }

    /// Opens the pinned set at `pinDirectory`, or loads the embedded object and pins it there.
    public static func openOrLoad(pinDirectory: String) throws(KernelError) -> KernelObjects {
        try Capabilities.current().requireForKernelSetup(operation: "loading the BPF programs")
        try Filesystems.preparePinDirectory(pinDirectory)
        if isPinned(at: pinDirectory) { return try open(pinDirectory: pinDirectory) }
        try load(pinDirectory: pinDirectory)
        return try open(pinDirectory: pinDirectory)
    }

    /// Loads the embedded object, pins maps and programs, and attaches the verdict to odb_sources.
    private static func load(pinDirectory: String) throws(KernelError) {
        let image = BPFObjectImage.bytes
        let object: OpaquePointer? = image.withUnsafeBytes { bytes in
            odb_open_object(bytes.baseAddress, bytes.count, "odb_redirect")
        }
        guard let object else {
            throw KernelError.fromErrno(errno, operation: "opening the embedded BPF object")
        }
        defer { bpf_object__close(object) }
        for name in Pin.maps {
            guard let map = bpf_object__find_map_by_name(object, name) else {
                throw .system(operation: "finding map \(name) in the BPF object", errno: ENOENT)
            }
            // libbpf reuses a compatible pinned map at this path, or creates and pins a new one.
            bpf_map__set_pin_path(map, pinDirectory + "/" + name)
        }
        let loaded = bpf_object__load(object)
        if loaded != 0 {
            let error = -loaded
            if error == EPERM || error == EACCES {
                let missing = Capabilities.current().missingForKernelSetup ?? Capabilities.bpf
                throw .missingCapability(missing.name, operation: "loading the BPF programs")
            }
            throw .kernelFeatureMissing(feature: "the odb-redirect BPF programs (verifier or map creation failed)", errno: error)
        }
        let metaFD = bpf_map__fd(bpf_object__find_map_by_name(object, "odb_meta"))
        var key: UInt32 = 0
        var meta = odb_meta(abi_version: UInt32(ODB_ABI_VERSION), pad: 0, loaded_unix_ns: UnixTime.nowNanoseconds())
        if bpf_map_update_elem(metaFD, &key, &meta, UInt64(BPF_ANY)) != 0 {
            throw KernelError.fromErrno(errno, operation: "writing odb_meta")
        }
        let sourcesFD = bpf_map__fd(bpf_object__find_map_by_name(object, "odb_sources"))
        let verdictFD = bpf_program__fd(bpf_object__find_program_by_name(object, "odb_verdict"))
        if bpf_prog_attach(verdictFD, sourcesFD, BPF_SK_SKB_VERDICT, 0) != 0 {
            throw .kernelFeatureMissing(feature: "sk_skb verdict programs on a SOCKHASH", errno: errno)
        }
        let sockopsFD = bpf_program__fd(bpf_object__find_program_by_name(object, "odb_sockops"))
        for (fd, name) in [(sockopsFD, Pin.sockopsProgram), (verdictFD, Pin.verdictProgram)] {
            if bpf_obj_pin(fd, pinDirectory + "/" + name) != 0 && errno != EEXIST {
                throw KernelError.fromErrno(errno, operation: "pinning \(pinDirectory)/\(name)")
            }
        }
    }

    /// Path of the pinned link that hooks the cgroup with inode `cgroupID`.
    func linkPath(cgroupID: UInt64) -> String {
        pinDirectory + "/" + Pin.linkPrefix + String(cgroupID)
    }
}

enum UnixTime {
    static func nowNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
