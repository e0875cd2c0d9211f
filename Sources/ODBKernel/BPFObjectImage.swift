/// The compiled `bpf/odb.bpf.c`, carried inside the binary by the BPFObjectPlugin.
enum BPFObjectImage {
    /// The object's bytes, decoded once from the embedded hex text.
    static let bytes: [UInt8] = {
        let hex = EmbeddedBPFObject.hex
        return hex.withUTF8Buffer { text in
            var bytes = [UInt8]()
            bytes.reserveCapacity(text.count / 2)
            var index = 0
            while index + 1 < text.count {
                bytes.append(nibble(text[index]) << 4 | nibble(text[index + 1]))
                index += 2
            }
            return bytes
        }
    }()

    private static func nibble(_ digit: UInt8) -> UInt8 {
        digit >= UInt8(ascii: "a") ? digit - UInt8(ascii: "a") + 10 : digit - UInt8(ascii: "0")
    }
}
