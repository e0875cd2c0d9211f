import Foundation

/// Random bodies kept as files in one shared directory, generated once per machine and served
/// by the test origins; tests compare what arrives with the file's bytes.
public enum TestContent {
    public static let directory = NSTemporaryDirectory() + "odb-test-content"

    public static func path(size: Int) -> String {
        "\(directory)/\(size).bin"
    }

    /// Makes sure a file of each size exists.
    public static func ensureFiles(_ sizes: [Int]) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let random = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
        defer { try? random.close() }
        for size in sizes where !FileManager.default.fileExists(atPath: path(size: size)) {
            let temporary = path(size: size) + ".part-\(getpid())"
            FileManager.default.createFile(atPath: temporary, contents: nil)
            let out = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            var left = size
            while left > 0 {
                let chunk = random.readData(ofLength: min(left, 1 << 20))
                out.write(chunk)
                left -= chunk.count
            }
            try out.close()
            try FileManager.default.moveItem(atPath: temporary, toPath: path(size: size))
        }
    }

    public static func bytes(size: Int) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(size: size))))
    }
}

/// Where a difference between two byte arrays starts, for failure messages.
public func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String {
    if a.count != b.count { return "length \(a.count) vs \(b.count)" }
    if let index = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
        return "first differing byte at offset \(index)"
    }
    return "identical"
}
