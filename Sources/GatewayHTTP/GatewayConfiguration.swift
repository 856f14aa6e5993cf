public import Foundation
public import GatewayAdapters
public import GatewayEngine

/// Everything the HTTP application needs to know, built in `main` from flags and environment.
public struct GatewayConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Largest webhook body accepted by sources without a policy of their own.
    public var maxBodyBytes: Int
    /// Per-source limits (body size, rate, allowed networks); sources not listed get the defaults.
    public var policies: [String: SourcePolicy]
    /// Largest request head (all header fields together) the server reads.
    public var maxHeaderBytes: Int
    /// A connection that sends nothing for this long is closed (a stalled or very slow client).
    public var idleTimeout: Duration
    /// Signing secrets per source name; several during a rotation.
    public var secrets: [String: [Secret]]
    /// Bearer tokens accepted by the admin API; empty turns the admin API off.
    public var adminTokens: [Secret]
    /// Most deliveries the processor settles in one transaction.
    public var processingBatchSize: Int
    /// How often the processor looks for work when nothing woke it.
    public var processingIdleInterval: Duration
    /// Serve `POST /bench/baseline` (read the body, answer 202, no work): the ceiling the load
    /// benchmark compares ingest against. Off unless asked for.
    public var benchmarkEndpoints: Bool = false
    /// How long and how many refused requests the rejection log keeps.
    public var rejectionRetention = RejectionLog.Retention()
    /// How long a webhook refused for the sender's fault (a 4xx: a bad signature, a replay, an
    /// oversized body) waits before its answer. The wait holds no CPU, so a client flooding bad
    /// requests is paced by its own connections and valid deliveries keep the server's cores.
    /// None unless set (`GATEWAY_REFUSAL_PAUSE_MS`, 200 ms for `serve`).
    public var refusalPause: Duration = .zero
    /// The clock signatures are checked against.
    public var now: @Sendable () -> Date
    /// The address partners and admins reach the gateway at (`GATEWAY_PUBLIC_URL`), for the links
    /// it hands out; without it, the address a request came to.
    public var publicURL: String?
    /// How long a rotated-out webhook secret keeps signing beside the new one, unless a rotation
    /// says otherwise (`GATEWAY_WEBHOOK_ROTATION_OVERLAP`).
    public var webhookRotationOverlap: TimeInterval = WebhookEndpointService.defaultRotationOverlap

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        maxBodyBytes: Int = 1 << 20,
        policies: [String: SourcePolicy] = [:],
        maxHeaderBytes: Int = 16 * 1024,
        idleTimeout: Duration = .seconds(30),
        secrets: [String: [Secret]] = [:],
        adminTokens: [Secret] = [],
        processingBatchSize: Int = 2_000,
        processingIdleInterval: Duration = .seconds(1),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.policies = policies
        self.maxHeaderBytes = maxHeaderBytes
        self.idleTimeout = idleTimeout
        self.secrets = secrets
        self.adminTokens = adminTokens
        self.processingBatchSize = processingBatchSize
        self.processingIdleInterval = processingIdleInterval
        self.now = now
    }

    /// The policy of `source`: its own, or the defaults.
    public func policy(for source: String) -> SourcePolicy {
        policies[source] ?? SourcePolicy(maxBodyBytes: maxBodyBytes)
    }
}
