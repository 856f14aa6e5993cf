/// Told what the processor settled, for counters the HTTP edge exposes (`GET /metrics`); the
/// engine itself knows no metrics backend.
public protocol ProcessingObserver: Sendable {
    /// One delivery of `source` settled in `status`.
    func settled(_ source: String, status: String)
}
