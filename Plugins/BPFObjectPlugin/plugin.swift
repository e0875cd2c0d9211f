import Foundation
import PackagePlugin

/// Compiles `bpf/*.bpf.c` with the toolchain's clang (`-target bpf`) and embeds the object into
/// the target as Swift source, so the binary works from any directory with no `.o` beside it.
@main
struct BPFObjectPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let bpfDirectory = context.package.directoryURL.appendingPathComponent("bpf")
        let source = bpfDirectory.appendingPathComponent("odb.bpf.c")
        let headers = [
            bpfDirectory.appendingPathComponent("include/odb_shared.h"),
            bpfDirectory.appendingPathComponent("vmlinux.h"),
        ]
        let object = context.pluginWorkDirectoryURL.appendingPathComponent("odb.bpf.o")
        let embedded = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedBPFObject.swift")
        return [
            .buildCommand(
                displayName: "Compiling BPF program odb.bpf.c",
                executable: try context.tool(named: "clang").url,
                arguments: [
                    "-target", "bpf", "-O2", "-g", "-Wall", "-Werror",
                    "-D__TARGET_ARCH_x86",
                    "-I", bpfDirectory.path, "-I", bpfDirectory.appendingPathComponent("include").path,
                    "-c", source.path, "-o", object.path,
                ],
                inputFiles: [source] + headers,
                outputFiles: [object]
            ),
            .buildCommand(
                displayName: "Embedding BPF object",
                executable: try context.tool(named: "bpf-embed").url,
                arguments: [object.path, embedded.path],
                inputFiles: [object],
                outputFiles: [embedded]
            ),
        ]
    }
}
