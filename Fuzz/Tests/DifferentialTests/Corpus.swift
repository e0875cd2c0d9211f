import Foundation
import FuzzChecks
import Testing

/// The committed seed corpus (Fuzz/Corpus), or another directory of inputs.
struct Corpus {
    struct Input: Sendable, CustomTestStringConvertible {
        let target: FuzzTarget
        let name: String
        let bytes: [UInt8]
        var id: String { "\(target.rawValue)/\(name)" }
        var testDescription: String { id }
    }

    static let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Corpus").standardized

    /// Every input of `target` under `root/<target name>`, by file name.
    static func inputs(_ target: FuzzTarget, root: URL = seeds) -> [Input] {
        let directory = root.appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().compactMap { name in
            guard let data = try? Data(contentsOf: directory.appendingPathComponent(name)) else { return nil }
            return Input(target: target, name: name, bytes: Array(data))
        }
    }

    /// The head each input stands for, where the target's inputs are heads.
    static func message(_ input: Input) -> (bytes: [UInt8], isRequest: Bool)? {
        switch input.target {
        case .requestHead: return (input.bytes, true)
        case .responseHead: return (input.bytes, false)
        case .framing: return input.bytes.withUnsafeBytes { FramingChecks.message(from: $0) }
        case .chunked: return nil
        }
    }
}
