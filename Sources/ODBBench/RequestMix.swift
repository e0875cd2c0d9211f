/// A second body size asked by a share of the requests (kernel-faults asks one byte below the
/// kernel threshold). In every 100 requests the first `percent` ask for `size`, so the share is
/// exact, not a random draw; every load generator follows this rule.
public struct RequestMix: Sendable {
    public let size: Int
    public let percent: Int

    public init(size: Int, percent: Int) {
        self.size = size
        self.percent = percent
    }

    /// The body size request number `index` asks for, when the others ask for `usual`.
    func size(ofRequest index: Int, usual: Int) -> Int {
        index % 100 < percent ? size : usual
    }
}
