import Glibc

/// A failed system call, with what was being done.
public struct SystemError: Error, CustomStringConvertible, Equatable {
    public let operation: String
    public let errno: Int32

    public init(_ operation: String, errno: Int32 = Glibc.errno) {
        self.operation = operation
        self.errno = errno
    }

    public var description: String {
        "\(operation): \(String(decoding: strerrorBytes(errno), as: UTF8.self))"
    }

    private func strerrorBytes(_ code: Int32) -> [UInt8] {
        guard let text = strerror(code) else { return Array("errno \(code)".utf8) }
        var bytes = [UInt8]()
        var pointer = text
        while pointer.pointee != 0 {
            bytes.append(UInt8(bitPattern: pointer.pointee))
            pointer += 1
        }
        return bytes
    }
}
