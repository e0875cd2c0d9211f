import CSocketShims
import Glibc

/// A pipe used to move bytes socket → pipe → socket with splice(2), never through user memory.
public final class SplicePipe {
    let readFD: Int32
    let writeFD: Int32
    /// Bytes sitting in the pipe, spliced in but not yet out.
    var buffered = 0

    init() throws(SystemError) {
        var fds: [Int32] = [0, 0]
        guard odb_pipe_nonblocking(&fds) == 0 else { throw SystemError("pipe2") }
        readFD = fds[0]
        writeFD = fds[1]
        _ = odb_set_pipe_size(writeFD, 1 << 20)
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
