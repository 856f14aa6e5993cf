public import Foundation
public import GatewayCore

/// For sources fed by a poller over the vendor's authenticated API (Autotask contracts): they take
/// no webhooks, so every request to their route is refused.
public struct PollerScheme: SignatureScheme {
    public var name: String { "poller" }

    public init() {}

    public func verify(body: Data, headers: HeaderValues, secrets: [Secret], now: Date) throws(SignatureFailure) -> Verification {
        throw SignatureFailure(.noSignatureMatched, "this source is fed by the gateway's poller and accepts no webhooks")
    }

    public func sign(body: Data, secret: Secret, at date: Date) -> [(name: String, value: String)] { [] }

    /// What a polled record is stored with: fetched over the vendor's authenticated API.
    public static let verification = Verification(scheme: "poller", matchedSecretIndex: 0)
}
