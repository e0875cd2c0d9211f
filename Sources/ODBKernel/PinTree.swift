import Glibc

/// Removes what a pin directory holds through a descriptor of the directory, never by a path
/// looked up again: a symbolic link inside is removed as itself, never followed, and a relay
/// that switched to a user who cannot reach the pin root by path (bpffs mounted 0700) still
/// unpins the set it holds open.
enum PinTree {
    /// Opens `path` as a directory without following a symbolic link.
    static func open(_ path: String) throws(KernelError) -> Int32 {
        var info = stat()
        if lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK {
            throw .untrustedPinDirectory(path: path, reason: "it is a symbolic link")
        }
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw KernelError.fromErrno(errno, operation: "opening \(path)") }
        return fd
    }

    /// Unpins everything below the directory open at `directoryFD` (`path` names it in errors),
    /// cgroup links first, so hooks stop before the maps they write disappear. Unpinning a link
    /// drops its last reference, which detaches the program from its cgroup; maps and programs
    /// go away when no process holds them any more.
    /// - Returns: the names removed, relative to the directory.
    static func removeContents(of directoryFD: Int32, path: String) throws(KernelError) -> [String] {
        var removed = [String]()
        for name in names(in: directoryFD).sorted(by: linkFirst) {
            var entry = stat()
            guard fstatat(directoryFD, name, &entry, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            if (entry.st_mode & S_IFMT) == S_IFDIR {
                let child = openat(directoryFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard child >= 0 else { throw KernelError.fromErrno(errno, operation: "opening \(path)/\(name)") }
                defer { close(child) }
                removed += try removeContents(of: child, path: path + "/" + name).map { name + "/" + $0 }
                if unlinkat(directoryFD, name, AT_REMOVEDIR) != 0 && errno != ENOENT {
                    throw KernelError.fromErrno(errno, operation: "removing \(path)/\(name)")
                }
            } else if unlinkat(directoryFD, name, 0) == 0 {
                removed.append(name)
            } else if errno != ENOENT {
                throw KernelError.fromErrno(errno, operation: "unpinning \(path)/\(name)")
            }
        }
        return removed
    }

    private static func names(in directoryFD: Int32) -> [String] {
        let copy = dup(directoryFD)
        guard copy >= 0, let stream = fdopendir(copy) else { return [] }
        defer { closedir(stream) }
        var names = [String]()
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    private static func linkFirst(_ a: String, _ b: String) -> Bool {
        let aLink = a.hasPrefix(KernelObjects.Pin.linkPrefix)
        let bLink = b.hasPrefix(KernelObjects.Pin.linkPrefix)
        return aLink != bLink ? aLink : a < b
    }
}
