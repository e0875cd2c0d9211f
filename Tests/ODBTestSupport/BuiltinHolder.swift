import Foundation
import Glibc

/// `odb-redirect origin` as a virtual payload holder: `/…/bytes/N` carries `BuiltinHolder.body`,
/// a peer's GET gets a descriptor, and the body is claimed on `claimPort`.
public final class BuiltinHolder {
    public let name: String
    public let port: Int
    public let claimPort: Int
    private let process: Process

    /// The origin's process id.
    public var pid: Int32 { process.processIdentifier }

    /// `secretFile`, when given, is passed as `--odb-secret-file` in place of `--odb-secret`.
    public init(name: String = "origin-holder", secret: String = VirtualPayloadOptions.testSecret, secretFile: String? = nil,
                holdTimeout: Double = 10, maxHeld: Int = 100_000) throws {
        self.name = name
        port = freePort()
        claimPort = freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: CommandRunner.odbRedirect)
        let secretOption = secretFile.map { ["--odb-secret-file", $0] } ?? ["--odb-secret", secret]
        process.arguments = ["origin", "--listen", "127.0.0.1:\(port)", "--odb-name", name] + secretOption + [
            "--odb-claim-listen", "127.0.0.1:\(claimPort)", "--odb-hold-timeout", String(holdTimeout), "--odb-max-held", String(maxHeld),
        ]
        try process.run()
        guard waitForPort(port), waitForPort(claimPort) else {
            kill()
            throw FixtureFailure("the holding origin did not start")
        }
    }

    /// How the relays' `odb.peers` name this holder.
    public var peer: (name: String, address: String) { (name, "127.0.0.1:\(claimPort)") }

    /// The bytes `/bytes/N` carries: byte i is i % 251.
    public static func body(size: Int) -> [UInt8] {
        let block = (0..<251).map(UInt8.init)
        var bytes = [UInt8]()
        bytes.reserveCapacity(size + block.count)
        while bytes.count < size { bytes += block }
        return Array(bytes.prefix(size))
    }

    /// SIGKILL: the holder dies with whatever it was sending.
    public func kill() {
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        kill()
    }
}
