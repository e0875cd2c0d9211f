/// A slot of one of the counter arrays odb_shared.h defines (`enum odb_counter` for the pin
/// set, `enum odb_relay_counter` for each relay), with the Prometheus series it is published
/// as. Both lists are described the same way, so one publisher serves both. A counter is its
/// slot: two with the same slot are the same counter.
public protocol SharedCounter: Hashable, Sendable {
    /// Index into the array the C enum indexes.
    var slot: Int { get }
    /// Nil for a counter only `status` shows.
    var metric: MetricSeries? { get }
}

extension SharedCounter {
    public static func == (a: Self, b: Self) -> Bool {
        a.slot == b.slot
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(slot)
    }
}

/// How one counter appears on /metrics: a name, the label that sets it apart from the other
/// members of its family (if it has any), and whether it only grows or holds a present value.
/// Its texts are static, so that a counter costs no reference counting where the relay
/// increments it.
public struct MetricSeries: Sendable {
    public enum Kind: Sendable {
        case counter, gauge
    }

    public struct Label: Sendable {
        public let name: StaticString
        public let value: StaticString

        @inlinable
        public init(name: StaticString, value: StaticString) {
            self.name = name
            self.value = value
        }
    }

    public let name: StaticString
    public let label: Label?
    public let kind: Kind

    @inlinable
    init(name: StaticString, label: Label?, kind: Kind) {
        self.name = name
        self.label = label
        self.kind = kind
    }

    @inlinable
    public static func counter(_ name: StaticString, label: Label? = nil) -> MetricSeries {
        MetricSeries(name: name, label: label, kind: .counter)
    }

    @inlinable
    public static func gauge(_ name: StaticString) -> MetricSeries {
        MetricSeries(name: name, label: nil, kind: .gauge)
    }

    /// The label as swift-metrics takes it.
    public var dimensions: [(String, String)] {
        label.map { [($0.name.description, $0.value.description)] } ?? []
    }
}
