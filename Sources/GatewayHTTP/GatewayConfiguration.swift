public import Foundation
public import GatewayAdapters

/// Everything the HTTP application needs to know, built in `main` from flags and environment.
public struct GatewayConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Largest webhook body accepted; larger ones answer 413 before they are read in full.
    public var maxBodyBytes: Int
    /// Signing secrets per source name; several during a rotation.
    public var secrets: [String: [Secret]]
    /// Bearer tokens accepted by the admin API; empty turns the admin API off.
    public var adminTokens: [Secret]
    /// Most deliveries the processor settles in one transaction.
    public var processingBatchSize: Int
    /// How often the processor looks for work when nothing woke it.
    public var processingIdleInterval: Duration
    /// The clock signatures are checked against.
    public var now: @Sendable () -> Date

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        maxBodyBytes: Int = 1 << 20,
        secrets: [String: [Secret]] = [:],
        adminTokens: [Secret] = [],
        processingBatchSize: Int = 256,
        processingIdleInterval: Duration = .seconds(1),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.secrets = secrets
        self.adminTokens = adminTokens
        self.processingBatchSize = processingBatchSize
        self.processingIdleInterval = processingIdleInterval
        self.now = now
    }

    /// The environment variable holding a source's secrets: `GATEWAY_STRIPE_SECRETS`.
    public static func secretsVariable(for source: String) -> String {
        "GATEWAY_\(source.uppercased().replacingOccurrences(of: "-", with: "_"))_SECRETS"
    }
}
