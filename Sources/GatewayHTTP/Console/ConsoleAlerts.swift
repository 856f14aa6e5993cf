import Foundation
import GatewayCore
import GatewayEngine
import GatewayRepositories

/// What every console page shows above its content until it is dealt with: endpoints the
/// gateway stopped sending to, sources that went silent. Read once per page, before it renders,
/// and handed to the layout through a task-local, so no page has to ask for it.
enum ConsoleAlerts {
    @TaskLocal static var current: [String] = []

    /// The alerts as they stand; a store that cannot be read shows none (the page says why itself).
    static func read(from store: any Repositories) async -> [String] {
        var alerts: [String] = []
        if let endpoints = try? await store.webhookEndpoints.endpoints() {
            for endpoint in endpoints {
                guard let disabled = endpoint.disabledAt else { continue }
                alerts.append(
                    "Webhook endpoint \(endpoint.id) (\(endpoint.url)) receives nothing since \(disabled.formatted(.iso8601)): "
                        + "\(endpoint.disabledReason ?? "disabled"). Enable it on the Outbound page once it is fixed.")
            }
        }
        if let silences = try? await store.outbox.silences() {
            for silence in silences {
                let since = silence.lastDeliveryAt.map { "since \($0.formatted(.iso8601))" } ?? "at all since \(silence.quietSince.formatted(.iso8601))"
                alerts.append(
                    "Source \(silence.source) has sent nothing \(since) (expected at least every \(DurationText.text(silence.silentAfter))). "
                        + "Check that its webhook is still enabled at the vendor.")
            }
        }
        return alerts
    }
}
