import Foundation
public import GatewayEngine
public import GatewayRepositories
import Metrics
import Prometheus
import Synchronization

/// The gateway's metrics, through swift-metrics into a Prometheus registry of its own (so several
/// gateways in one process, as in tests, never share counters). Labels carry sources, statuses and
/// reasons, never payload values or secrets.
public final class GatewayMetrics: ProcessingObserver, OutboundObserver, SilenceObserver {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    /// A source's ingest meters, made once: every delivery counts on them.
    private let meters = Mutex<[String: SourceMeters]>([:])

    private struct SourceMeters {
        var received, stored, duplicate: Metrics.Counter
        var latency: Metrics.Timer
    }

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Ingest latency in seconds: most deliveries commit in milliseconds.
        factory.defaultDurationHistogramBuckets = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5)]
        self.factory = factory
    }

    private func meters(_ source: String) -> SourceMeters {
        meters.withLock { meters in
            if let known = meters[source] { return known }
            let dimensions = [("source", source)]
            let made = SourceMeters(
                received: Metrics.Counter(label: "gateway_deliveries_received_total", dimensions: dimensions, factory: factory),
                stored: Metrics.Counter(label: "gateway_deliveries_stored_total", dimensions: dimensions, factory: factory),
                duplicate: Metrics.Counter(label: "gateway_deliveries_duplicate_total", dimensions: dimensions, factory: factory),
                latency: Metrics.Timer(label: "gateway_ingest_duration_seconds", dimensions: dimensions, factory: factory))
            meters[source] = made
            return made
        }
    }

    func received(_ source: String) {
        meters(source).received.increment()
    }

    func stored(_ source: String, duplicate: Bool) {
        let meters = meters(source)
        (duplicate ? meters.duplicate : meters.stored).increment()
    }

    func rejected(_ source: String, reason: String) {
        Counter(label: "gateway_deliveries_rejected_total", dimensions: [("source", source), ("reason", reason)], factory: factory).increment()
    }

    func ingestLatency(_ source: String, _ duration: Duration) {
        meters(source).latency.record(duration: duration)
    }

    public func settled(_ source: String, status: String) {
        Counter(label: "gateway_deliveries_settled_total", dimensions: [("source", source), ("status", status)], factory: factory).increment()
    }

    public func attempted(endpoint: WebhookEndpointID, outcome: String) {
        Counter(label: "gateway_webhook_attempts_total", dimensions: [("outcome", outcome)], factory: factory).increment()
    }

    public func endpointDisabled(_ endpoint: WebhookEndpointID) {
        Counter(label: "gateway_webhook_endpoints_disabled_total", factory: factory).increment()
    }

    public func sourceActivity(_ source: String, silent: Bool, quietSeconds: Double) {
        Gauge(label: "gateway_source_silent", dimensions: [("source", source)], factory: factory).record(silent ? 1 : 0)
        Gauge(label: "gateway_source_quiet_seconds", dimensions: [("source", source)], factory: factory).record(quietSeconds)
    }

    /// Values read from the store at scrape time.
    func snapshot(queueDepth: Int, oldestWaitingSeconds: Double, accrualLines: Int, replayRemaining: Int) {
        Gauge(label: "gateway_queue_depth", factory: factory).record(queueDepth)
        Gauge(label: "gateway_oldest_unprocessed_age_seconds", factory: factory).record(oldestWaitingSeconds)
        Gauge(label: "gateway_accrual_lines", factory: factory).record(accrualLines)
        Gauge(label: "gateway_replay_deliveries_remaining", factory: factory).record(replayRemaining)
    }

    /// The Prometheus text exposition.
    func render() -> String {
        registry.emitToString()
    }
}
