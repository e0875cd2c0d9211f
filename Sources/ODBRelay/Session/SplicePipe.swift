import CSocketShims
import Glibc

/// A pipe used to move bytes socket → pipe → socket with splice(2), never through user memory.
public final class SplicePipe {
    let readFD: Int32
    let writeFD: Int32
    /// Bytes sitting in the pipe, spliced in but not yet out.
    var buffered = 0

    /// What a pipe is asked to hold: across separate hosts 1 MiB spliced more than the
    /// kernel's default of 64 KiB (docs/PERFORMANCE.md §4, "The pipe's size").
    static let requestedCapacity = 1 << 20
    /// The kernel's default pipe. A pipe the kernel keeps smaller moves a page or two per
    /// `splice` call, and 8 KiB pipes spliced at 0.51-0.57 × copying's req/s for 1.8 × its CPU.
    static let smallestUsableCapacity = 64 << 10

    /// Why a body gets no pipe, and is copied instead.
    enum Unavailable: Error, Equatable {
        /// `pipe2` failed: out of descriptors, or past the user's `fs.pipe-user-pages-hard`.
        case notCreated(SystemError)
        /// The kernel made it this small and would not grow it: the relay's user holds
        /// `fs.pipe-user-pages-soft` in pipes already and the relay lacks CAP_SYS_RESOURCE.
        case undersized(capacity: Int)
    }

    init() throws(Unavailable) {
        var fds: [Int32] = [0, 0]
        guard odb_pipe_nonblocking(&fds) == 0 else { throw .notCreated(SystemError("pipe2")) }
        // Refused past `fs.pipe-max-size` or the user's soft limit; what the pipe then holds decides.
        _ = odb_set_pipe_size(fds[1], Int32(Self.requestedCapacity))
        let capacity = Int(odb_pipe_size(fds[1]))
        guard capacity >= Self.smallestUsableCapacity else {
            close(fds[0])
            close(fds[1])
            throw .undersized(capacity: capacity)
        }
        readFD = fds[0]
        writeFD = fds[1]
    }

    deinit {
        close(readFD)
        close(writeFD)
    }

    enum Step: Equatable { case moved(Int), wouldBlock, endOfStream, failed(Int32) }

    /// Splices up to `limit` bytes from `source` into the pipe.
    func fill(from source: Int32, limit: Int) -> Step {
        let moved = odb_splice(source, writeFD, limit)
        if moved > 0 { buffered += moved; return .moved(moved) }
        if moved == 0 { return .endOfStream }
        return errno == EAGAIN ? .wouldBlock : .failed(errno)
    }

    /// Splices what the pipe holds into `target`.
    func drain(into target: Int32) -> Step {
        guard buffered > 0 else { return .moved(0) }
        let moved = odb_splice(readFD, target, buffered)
        if moved > 0 { buffered -= moved; return .moved(moved) }
        return moved < 0 && errno == EAGAIN ? .wouldBlock : .failed(moved < 0 ? errno : EPIPE)
    }
}
