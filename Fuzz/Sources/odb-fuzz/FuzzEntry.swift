import FuzzChecks
import Glibc

/// Which `FuzzTarget` this run exercises, from ODB_FUZZ_TARGET (see tools/fuzz.sh).
nonisolated(unsafe) private var selected: FuzzTarget?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    let name = getenv("ODB_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        let message = Array("odb-fuzz: set ODB_FUZZ_TARGET to one of: \(names)\n".utf8)
        _ = write(2, message, message.count)
        exit(2)
    }
    selected = target
    return 0
}

/// Crashes on a broken property, which is how libFuzzer learns to keep the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if let violation = selected?.check(UnsafeRawBufferPointer(start: data, count: size)) {
        fatalError("\(selected!.rawValue): \(violation)")
    }
    return 0
}
