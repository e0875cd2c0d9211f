/// A slot of one of the counter arrays odb_shared.h defines (`enum odb_counter` for the pin
/// set, `enum odb_relay_counter` for each relay), with the Prometheus series it is published
/// as. Both lists are described the same way, so one publisher serves both.
public protocol SharedCounter: Hashable, Sendable {
    /// Index into the array the C enum indexes.
    var slot: Int { get }
    /// Nil for a counter only `status` shows.
    var metric: MetricSeries? { get }
}

/// How one counter appears on /metrics: a name, the label that sets it apart from the other
/// members of its family (if it has any), and whether it only grows or holds a present value.
public struct MetricSeries: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case counter, gauge
    }

    public struct Label: Hashable, Sendable {
        public let name: String
        public let value: String
    }

    public let name: String
    public let label: Label?
    public let kind: Kind

    public static func counter(_ name: String, label: Label? = nil) -> MetricSeries {
        MetricSeries(name: name, label: label, kind: .counter)
    }

    public static func gauge(_ name: String) -> MetricSeries {
        MetricSeries(name: name, label: nil, kind: .gauge)
    }

    /// The label as swift-metrics takes it.
    public var dimensions: [(String, String)] {
        label.map { [($0.name, $0.value)] } ?? []
    }
}
