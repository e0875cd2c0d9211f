import CLibBPF
import Foundation

/// The map and program names of a BPF object, read by libbpf without loading anything.
struct ObjectNames {
    let maps: [String]
    let programs: [String]

    init(path: String) throws {
        guard let object = bpf_object__open_file(path, nil) else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path])
        }
        defer { bpf_object__close(object) }
        var maps = [String]()
        var map = bpf_object__next_map(object, nil)
        while let current = map {
            let name = String(cString: bpf_map__name(current))
            // libbpf adds maps for global data (".rodata", ".bss"); they are never pinned.
            if !name.hasPrefix(".") { maps.append(name) }
            map = bpf_object__next_map(object, current)
        }
        var programs = [String]()
        var program = bpf_object__next_program(object, nil)
        while let current = program {
            programs.append(String(cString: bpf_program__name(current)))
            program = bpf_object__next_program(object, current)
        }
        self.maps = maps
        self.programs = programs
    }

    /// `    case eventRings = "odb_event_rings"`: the C name without its `odb_` prefix, in camel case.
    static func enumCase(_ name: String) -> String {
        let words = name.split(separator: "_").dropFirst(name.hasPrefix("odb_") ? 1 : 0)
        let identifier = words.enumerated().map { $0 == 0 ? String($1) : $1.prefix(1).uppercased() + $1.dropFirst() }.joined()
        return "    case \(identifier) = \"\(name)\""
    }
}
