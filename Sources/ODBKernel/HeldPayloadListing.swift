import Foundation
import Glibc
import ODBHTTP
import OdbShared

/// One virtual payload a relay holds, as `status` lists it (odb_held): never the token, only
/// its digest.
public struct HeldPayloadEntry: Encodable, Sendable, Equatable {
    public let tokenDigest: String
    public let pid: UInt32
    public let worker: UInt32
    public let framing: PayloadFraming
    /// Socket memory it may occupy, as counted against `odb.max_held_bytes`.
    public let boundBytes: UInt64
    public let heldUnixSeconds: Double
    /// How long it had been held when the map was read; 0 in the entry a relay writes.
    public let ageSeconds: Double
    public let upstream: String

    /// `heldUnixSeconds` is wall-clock time, as `status` in another process compares it.
    public init(tokenDigest: String, pid: UInt32, worker: UInt32, framing: PayloadFraming, boundBytes: UInt64,
                heldUnixSeconds: Double, upstream: String) {
        self.tokenDigest = tokenDigest
        self.pid = pid
        self.worker = worker
        self.framing = framing
        self.boundBytes = boundBytes
        self.heldUnixSeconds = heldUnixSeconds
        self.upstream = upstream
        ageSeconds = max(0, Double(UnixTime.nowNanoseconds()) / 1e9 - heldUnixSeconds)
    }

    /// Body bytes for `length` framing; nil for chunked and close bodies, whose length is unknown.
    public var length: UInt64? {
        if case let .length(length) = framing { length } else { nil }
    }

    private enum CodingKeys: String, CodingKey {
        case tokenDigest, pid, worker, framing, length, boundBytes, heldUnixSeconds, ageSeconds, upstream
    }

    /// The framing by its name, with `length` beside it only for `length` framing.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tokenDigest, forKey: .tokenDigest)
        try container.encode(pid, forKey: .pid)
        try container.encode(worker, forKey: .worker)
        try container.encode(framing.name, forKey: .framing)
        try container.encodeIfPresent(length, forKey: .length)
        try container.encode(boundBytes, forKey: .boundBytes)
        try container.encode(heldUnixSeconds, forKey: .heldUnixSeconds)
        try container.encode(ageSeconds, forKey: .ageSeconds)
        try container.encode(upstream, forKey: .upstream)
    }

    init?(_ key: odb_held_key, _ value: odb_held_payload) {
        let framing: PayloadFraming
        switch value.framing {
        case UInt32(ODB_HELD_LENGTH.rawValue): framing = .length(value.length)
        case UInt32(ODB_HELD_CHUNKED.rawValue): framing = .chunked
        case UInt32(ODB_HELD_CLOSE.rawValue): framing = .close
        default: return nil
        }
        self.init(tokenDigest: CString.read(value.token_digest), pid: key.pid, worker: key.worker, framing: framing,
                  boundBytes: value.bound, heldUnixSeconds: Double(value.held_unix_ns) / 1e9, upstream: CString.read(value.upstream))
    }

    var mapValue: odb_held_payload {
        var value = odb_held_payload()
        value.length = length ?? 0
        value.bound = boundBytes
        value.held_unix_ns = UInt64(heldUnixSeconds * 1e9)
        value.framing = switch framing {
        case .length: UInt32(ODB_HELD_LENGTH.rawValue)
        case .chunked: UInt32(ODB_HELD_CHUNKED.rawValue)
        case .close: UInt32(ODB_HELD_CLOSE.rawValue)
        }
        CString.write(tokenDigest, into: &value.token_digest)
        CString.write(upstream, into: &value.upstream)
        return value
    }
}

extension KernelObjects {
    /// Lists a payload in odb_held under its holder's worker and serial; a full map leaves it
    /// unlisted, never unheld.
    public func publishHeldPayload(serial: UInt64, _ entry: HeldPayloadEntry) {
        try? held.update(odb_held_key(pid: entry.pid, worker: entry.worker, serial: serial), entry.mapValue)
    }

    public func removeHeldPayload(pid: Int32, worker: Int, serial: UInt64) {
        held.delete(odb_held_key(pid: UInt32(pid), worker: UInt32(worker), serial: serial))
    }

    /// Removes every odb_held entry of process `pid` (it exited, or was killed).
    public func removeHeldPayloads(pid: Int32) {
        for key in held.keys() where key.pid == UInt32(pid) { held.delete(key) }
    }
}
