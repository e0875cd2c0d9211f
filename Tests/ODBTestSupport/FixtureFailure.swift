/// Something a test stands on (a process it starts, a user, a mount, an endpoint it reads) did
/// not come up or did not answer: the test cannot judge the relay, so it fails as set-up.
public struct FixtureFailure: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
