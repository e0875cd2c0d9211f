/// Validation of `uri-host [":" port]` (RFC 3986 §3.2.2), shared by Host and request targets.
enum HostSyntax {
    /// Whether `bytes` is a host with an optional port.
    ///
    /// - Parameters:
    ///   - allowEmptyHost: Host may be empty (RFC 9112 §3.2); URIs and CONNECT may not.
    ///   - requirePort: CONNECT targets must name a port (RFC 9110 §9.3.6).
    static func isValid(_ bytes: UnsafeRawBufferPointer, allowEmptyHost: Bool, requirePort: Bool) -> Bool {
        var index = 0
        if bytes.first == UInt8(ascii: "[") {
            // IPv6 literal; IPvFuture and zone identifiers are refused, no client sends them.
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")), close > 1 else { return false }
            for byte in bytes[1..<close] where ByteClass.hexValue(byte) == nil
                && byte != ByteClass.colon && byte != UInt8(ascii: ".") {
                return false
            }
            index = close + 1
        } else {
            while index < bytes.count, bytes[index] != ByteClass.colon {
                let byte = bytes[index]
                if byte == UInt8(ascii: "%") {
                    guard index + 2 < bytes.count,
                          ByteClass.hexValue(bytes[index + 1]) != nil,
                          ByteClass.hexValue(bytes[index + 2]) != nil
                    else { return false }
                    index += 3
                } else if ByteClass.isRegNameByte(byte) {
                    index += 1
                } else {
                    return false
                }
            }
            if index == 0 && !(allowEmptyHost && bytes.isEmpty) {
                return false
            }
        }
        if index == bytes.count {
            return !requirePort
        }
        guard bytes[index] == ByteClass.colon else { return false }
        let port = bytes[(index + 1)...]
        // RFC 3986 allows an empty port; one above 65535 cannot be connected to.
        guard port.count <= 5, port.allSatisfy(ByteClass.isDigit) else { return false }
        let number = port.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        return number <= 65535 && !(requirePort && port.isEmpty)
    }
}
