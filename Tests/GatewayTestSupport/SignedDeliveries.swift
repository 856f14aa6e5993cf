public import Foundation
public import GatewayAdapters

/// Deliveries signed the way their vendors sign them, for tests that post or ingest them.
public enum SignedDeliveries {
    /// The Stripe secret test gateways are configured with.
    public static let stripeSecret = Secret("whsec_testOnlyNotARealSecret")

    /// The headers Stripe would send with `body`, signed at `date`.
    public static func stripeHeaders(_ body: Data, secret: Secret = stripeSecret, at date: Date = Date()) -> [(name: String, value: String)] {
        [("Content-Type", "application/json")] + StripeSignatureScheme().sign(body: body, secret: secret, at: date).map { ($0.0, $0.1) }
    }
}
