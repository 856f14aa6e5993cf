/// One store of the gateway's data, seen through its repositories: the SQLite file by default,
/// PostgreSQL for several instances. The engine reads and writes only through these protocols.
public protocol Repositories: Sendable {
    /// Deliveries, from ingest to settlement, and the requests refused at ingest.
    var inbox: any DeliveryInbox { get }
    /// Partners, plans, referrals, overrides, settings, outbound referrals, reviews, the audit trail.
    var program: any ProgramRepository { get }
    /// Contracts, accrual lines, conflicts and payouts: the ledger's derived data.
    var ledger: any LedgerRepository { get }
    /// The reads behind statements, exports and metrics.
    var reports: any ReportRepository { get }
    /// What vendor clients and pollers keep between runs: rotated OAuth tokens, cursors.
    var vendorState: any VendorStateRepository { get }
    /// The partner portal's links and sessions, and the referrals partners submit.
    var portal: any PortalRepository { get }
    /// The admin console's sessions.
    var consoleSessions: any ConsoleSessionRepository { get }
    /// The outbox of outbound events, their messages to each endpoint, and silence alerts.
    var outbox: any OutboxRepository { get }
    /// The endpoints outbound events go to, and their secrets.
    var webhookEndpoints: any WebhookEndpointRepository { get }

    /// Where the data is, for logs (never a password).
    var location: String { get }
    /// Whether every migration is applied and the store can be read.
    func isReady() async throws -> Bool
    /// Proves the store accepts a write (disk not full, not read-only), without keeping one.
    func checkWritable() async throws
    /// Runs `work` unless another gateway instance on this store is running the work named `name`
    /// (a poller's pass, retention), and answers its result, or `nil` when it was left to the
    /// other instance. Work that must run once across instances goes through here.
    func exclusively<Result: Sendable>(_ name: String, _ work: () async throws -> Result) async throws -> Result?
}
