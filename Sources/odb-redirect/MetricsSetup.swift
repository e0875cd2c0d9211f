import Metrics
import ODBRelay
import Prometheus

/// Installs the process-wide metrics system (Prometheus); only the executable does this.
enum MetricsSetup {
    static func bootstrap() -> MetricsExport {
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        MetricsSystem.bootstrap(factory)
        return MetricsExport(factory: factory) { registry.emitToBuffer() }
    }
}
