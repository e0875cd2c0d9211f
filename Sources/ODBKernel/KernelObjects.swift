import CLibBPF
import Foundation
import Glibc
import OdbShared

/// The maps and programs of one pin directory, open and ready to use.
///
/// Either loaded from the embedded object and pinned, or reopened from existing pins, so that
/// `attach` run twice and relays started later all share one set of maps.
public final class KernelObjects: @unchecked Sendable {
    /// Names of the pinned files: each map under its own name, each program under `prog_` and
    /// its name, both as the embedded object names them (`BPFMapName`, `BPFProgramName`).
    public enum Pin {
        public static let maps = BPFMapName.allCases.map(\.rawValue)
        public static let sockopsProgram = program(.sockops)
        public static let verdictProgram = program(.verdict)
        static let linkPrefix = "link_cgroup_"

        static func program(_ name: BPFProgramName) -> String { "prog_" + name.rawValue }
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
    public let held: BPFMap<odb_held_key, odb_held_payload>
    public let meta: BPFMap<UInt32, odb_meta>
    public let sockopsProgramFD: Int32
    public let verdictProgramFD: Int32
    private let ownedFDs: [Int32]

    private init(pinDirectory: String, fds: [BPFMapName: Int32], sockops: Int32, verdict: Int32) {
        func map<K, V>(_ name: BPFMapName) -> BPFMap<K, V> { BPFMap(name: name.rawValue, fd: fds[name]!) }
        self.pinDirectory = pinDirectory
        socks = map(.socks)
        flows = map(.flows)
        windows = map(.windows)
        sources = SocketHash(map: map(.sources))
        targets = SocketHash(map: map(.targets))
        counters = CounterArray(fd: fds[.counters]!)
        eventRings = map(.eventRings)
        attachments = map(.attachments)
        relays = map(.relays)
        held = map(.held)
        meta = map(.meta)
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
        var fds = [BPFMapName: Int32]()
        func get(_ name: String) throws(KernelError) -> Int32 {
            let fd = bpf_obj_get(pinDirectory + "/" + name)
            if fd < 0 {
                let error = errno
                for fd in fds.values { close(fd) }
                throw KernelError.fromErrno(error, operation: "opening \(pinDirectory)/\(name)")
            }
            return fd
        }
        for name in BPFMapName.allCases { fds[name] = try get(name.rawValue) }
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
            // libbpf reuses a compatible pinned map at this path, or creates and pins a new one.
            bpf_map__set_pin_path(bpf_object__find_map_by_name(object, name), pinDirectory + "/" + name)
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
        let metaFD = bpf_map__fd(bpf_object__find_map_by_name(object, BPFMapName.meta.rawValue))
        var key: UInt32 = 0
        var meta = odb_meta(abi_version: UInt32(ODB_ABI_VERSION), pad: 0, loaded_unix_ns: UnixTime.nowNanoseconds())
        if bpf_map_update_elem(metaFD, &key, &meta, UInt64(BPF_ANY)) != 0 {
            throw KernelError.fromErrno(errno, operation: "writing odb_meta")
        }
        let sourcesFD = bpf_map__fd(bpf_object__find_map_by_name(object, BPFMapName.sources.rawValue))
        let verdictFD = bpf_program__fd(bpf_object__find_program_by_name(object, BPFProgramName.verdict.rawValue))
        if bpf_prog_attach(verdictFD, sourcesFD, BPF_SK_SKB_VERDICT, 0) != 0 {
            throw .kernelFeatureMissing(feature: "sk_skb verdict programs on a SOCKHASH", errno: errno)
        }
        let sockopsFD = bpf_program__fd(bpf_object__find_program_by_name(object, BPFProgramName.sockops.rawValue))
        for (fd, name) in [(sockopsFD, Pin.sockopsProgram), (verdictFD, Pin.verdictProgram)] {
            if bpf_obj_pin(fd, pinDirectory + "/" + name) != 0 && errno != EEXIST {
                throw KernelError.fromErrno(errno, operation: "pinning \(pinDirectory)/\(name)")
            }
        }
    }

    /// True when sock_ops tracks the socket (it has an odb_socks entry), as a redirect target must
    /// be: `status` names the two ends of every flow from their entries.
    public func tracksSocket(cookie: UInt64) -> Bool {
        socks.lookup(cookie) != nil
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
