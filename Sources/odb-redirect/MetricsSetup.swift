import Metrics
import ODBRelay
import Prometheus

/// Installs the process-wide metrics system (Prometheus); only the executable does this.
enum MetricsSetup {
    static func bootstrap() -> MetricsExport {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        for histogram in [MetricsExport.headHandlingHistogram, MetricsExport.claimLatencyHistogram] {
            factory.durationHistogramBuckets[histogram.label] = histogram.buckets
        }
        MetricsSystem.bootstrap(factory)
        return MetricsExport(factory: factory) { registry.emitToBuffer() }
    }
}
