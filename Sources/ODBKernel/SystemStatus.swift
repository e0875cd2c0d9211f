import Foundation

/// Status of every pin set under a root: the one `attach` made and those of running relays.
public struct SystemStatus: Encodable, Sendable {
    public let pinRoot: String
    public let sets: [StatusSnapshot]

    /// Name prefix of the subdirectories of the pin root where relays pin their own sets.
    static let relayDirectoryPrefix = "relay-"

    /// Subdirectory of the pin root where a relay without a prior `attach` pins its own set.
    public static func relayPinDirectory(pinRoot: String, pid: Int32) -> String {
        pinRoot + "/" + relayDirectoryPrefix + String(pid)
    }

    /// Reads the pin root and its relay subdirectories; fails when none holds a pinned set.
    public static func read(pinRoot: String) throws(KernelError) -> SystemStatus {
        var directories = [pinRoot]
        let children = (try? FileManager.default.contentsOfDirectory(atPath: pinRoot)) ?? []
        directories += children.filter { $0.hasPrefix(relayDirectoryPrefix) }.sorted().map { pinRoot + "/" + $0 }
        var sets = [StatusSnapshot]()
        for directory in directories where KernelObjects.isPinned(at: directory) {
            sets.append(StatusSnapshot.read(try KernelObjects.open(pinDirectory: directory)))
        }
        guard !sets.isEmpty else { throw .notAttached(pinDirectory: pinRoot) }
        return SystemStatus(pinRoot: pinRoot, sets: sets)
    }

    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Human-readable tables, one block per pin set.
    public func table() -> String {
        sets.map(StatusTable.render).joined(separator: "\n")
    }
}
