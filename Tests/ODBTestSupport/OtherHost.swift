import Foundation
import Glibc

/// A network namespace joined to this one by a veth link: a host of its own, for a client a
/// relay must not take for one on its host. Its address and this side's are on
/// 10.216.N.0/24, N from the process id.
public final class OtherHost {
    public let namespace: String
    /// This namespace's end of the link, the address the other host reaches this one at.
    public let addressHere: String
    private let link: String

    public init() throws {
        let tag = getpid() % 100_000
        let subnet = "10.216.\(getpid() % 256)"
        namespace = "odbt\(tag)h"
        link = "odbt\(tag)h0"
        addressHere = "\(subnet).1"
        let steps: [[String]] = [
            ["netns", "add", namespace],
            ["link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", namespace],
            ["addr", "add", "\(addressHere)/24", "dev", link],
            ["link", "set", link, "up"],
            ["-n", namespace, "addr", "add", "\(subnet).2/24", "dev", "eth0"],
            ["-n", namespace, "link", "set", "eth0", "up"],
            ["-n", namespace, "link", "set", "lo", "up"],
        ]
        for step in steps {
            let result = try CommandRunner.run("/usr/sbin/ip", step)
            guard result.status == 0 else {
                remove()
                throw OtherHostError(step: "ip " + step.joined(separator: " "), output: result.stderr)
            }
        }
    }

    /// Runs a Python program on the other host.
    public func python(_ program: String) throws -> CommandResult {
        try CommandRunner.run("/usr/sbin/ip", ["netns", "exec", namespace, "python3", "-c", program])
    }

    /// Deletes the link, which takes its peer, then the namespace.
    public func remove() {
        _ = try? CommandRunner.run("/usr/sbin/ip", ["link", "del", link])
        _ = try? CommandRunner.run("/usr/sbin/ip", ["netns", "del", namespace])
    }

    deinit { remove() }
}

public struct OtherHostError: Error, CustomStringConvertible {
    public let step: String
    public let output: String
    public var description: String { "\(step): \(output)" }
}
