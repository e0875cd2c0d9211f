import Foundation

/// The PNG plots of a bench output directory, drawn by tools/bench_report.py (matplotlib) at
/// the end of every run, so a user needs no second command.
enum BenchPlots {
    /// What drawing produced.
    enum Outcome: Sendable {
        /// File names of the PNGs, relative to the output directory.
        case drawn([String])
        /// Why there are no plots; the run's numbers stand without them.
        case notDrawn(String)
    }

    static let scriptPath = "tools/bench_report.py"

    /// Runs the plotting script on `outputDirectory`'s samples.json.
    static func draw(outputDirectory: String, odbRedirect: String) -> Outcome {
        guard let script = locateScript(odbRedirect: odbRedirect) else {
            return .notDrawn("\(scriptPath) not found beside \(odbRedirect) or in the current directory")
        }
        do {
            let printed = try runToCompletion("/usr/bin/env", ["python3", script, outputDirectory])
            return .drawn(printed.split(separator: "\n").map { URL(fileURLWithPath: String($0)).lastPathComponent })
        } catch {
            return .notDrawn("\(script): \(error)")
        }
    }

    /// The script in the source tree the binary was built in (`.build/<config>/odb-redirect`
    /// lies below it), or in the current directory.
    static func locateScript(odbRedirect: String) -> String? {
        var directory = URL(fileURLWithPath: odbRedirect).resolvingSymlinksInPath().deletingLastPathComponent()
        var candidates = [FileManager.default.currentDirectoryPath + "/" + scriptPath]
        while directory.path != "/" {
            candidates.append(directory.path + "/" + scriptPath)
            directory = directory.deletingLastPathComponent()
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }
}
