public import GatewayRepositories

/// Told what the dispatcher did, for counters the HTTP edge exposes; the engine knows no metrics backend.
public protocol OutboundObserver: Sendable {
    /// One attempt to an endpoint ended `delivered`, `failed` (retried later) or `dead`.
    func attempted(endpoint: WebhookEndpointID, outcome: String)
    /// An endpoint was disabled for failing too long.
    func endpointDisabled(_ endpoint: WebhookEndpointID)
}
