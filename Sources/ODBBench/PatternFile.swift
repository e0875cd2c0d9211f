import CSocketShims
import Glibc

/// The pattern in a sealed memory file, so that the built-in origin sends bodies with
/// `sendfile`: the kernel hands the file's pages to the socket instead of copying a buffer into
/// it, as nginx does with the files it serves. A copying origin would add a copy per body to
/// every mode's machine CPU and so pull every ratio between modes towards 1.
struct PatternFile: Sendable {
    let descriptor: Int32

    /// Creates the file: `PatternBytes.maxSlice` bytes from every offset of one period.
    init() throws(BenchError) {
        descriptor = odb_memory_file("odb-pattern")
        guard descriptor >= 0 else { throw .lastSystemError("memfd_create") }
        let length = PatternBytes.maxSlice + PatternBytes.period
        var written = 0
        while written < length {
            let slice = PatternBytes.slice(at: written, count: length - written)
            let count = pwrite(descriptor, slice.baseAddress, slice.count, off_t(written))
            guard count > 0 else { throw .lastSystemError("write to the pattern file") }
            written += count
        }
        guard odb_seal_memory_file(descriptor) == 0 else { throw .lastSystemError("seal the pattern file") }
    }

    /// Sends the first `length` bytes of a body to `socket`, all of them.
    func sendBody(of length: Int, on socket: TCPSocket) throws(BenchError) {
        var sent = 0
        while sent < length {
            var offset = off_t(sent % PatternBytes.period)
            let count = sendfile(socket.fd, descriptor, &offset, min(length - sent, PatternBytes.maxSlice))
            if count < 0 {
                if errno == EINTR { continue }
                throw .lastSystemError("sendfile")
            }
            sent += count
        }
    }
}
