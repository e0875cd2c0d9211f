/// One fuzz target: a family of inputs and the properties each must keep.
///
/// A target never just "does not crash": every input is parsed more than one way (whole and
/// split, before and after forwarding) and the answers must agree, because a relay whose two
/// readings of the same bytes differ is a request-smuggling hole even when nothing crashes.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// Raw bytes as a request head.
    case requestHead = "request-head"
    /// Raw bytes as a response head, answering GET, HEAD and CONNECT.
    case responseHead = "response-head"
    /// Field lines under a start line picked by the first byte: aims at the framing decision.
    case framing
    /// Raw bytes as a chunked body.
    case chunked

    /// The first property `input` breaks, or nil.
    public func check(_ input: UnsafeRawBufferPointer) -> Violation? {
        switch self {
        case .requestHead: return HeadChecks.request(input)
        case .responseHead: return HeadChecks.response(input)
        case .framing: return FramingChecks.check(input)
        case .chunked: return ChunkedChecks.check(input)
        }
    }

    /// Checks bytes held in an array (tests and replays).
    public func check(_ input: [UInt8]) -> Violation? {
        input.withUnsafeBytes { check($0) }
    }
}

/// A property an input broke, described for the crash report.
public struct Violation: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
