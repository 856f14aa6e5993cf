/// Told each watched source's state at every check, for the gauges the HTTP edge exposes; the
/// engine knows no metrics backend.
public protocol SilenceObserver: Sendable {
    func sourceActivity(_ source: String, silent: Bool, quietSeconds: Double)
}
