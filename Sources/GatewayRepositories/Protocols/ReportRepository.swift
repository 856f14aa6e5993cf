public import Foundation
public import GatewayCore

/// The reads behind what the MSP reads: statements, payout exports, the client roster.
public protocol ReportRepository: Sendable {
    /// `partner`'s lines earned in `period`, each with its client and paid date, and its balance
    /// on `now`.
    func statement(of partner: Partner, period: ReportPeriod, at now: Date) async throws -> PartnerStatement
    /// Every partner's lines summed per currency and status on `now`.
    func partnerBalances(at now: Date) async throws -> [PartnerID: [StatusTotals]]
    /// The referred clients behind a payout batch's lines.
    func referredClients(inPayout id: Int64) async throws -> [ReferralID: PayoutExport.ReferredClient]
    /// Every client company from the stored agreements, signings, payments and cancellations,
    /// with the companies the ledger's contracts say were referred.
    func clientRoster() async throws -> ClientRoster
}

/// What vendor clients and pollers keep between runs.
public protocol VendorStateRepository: Sendable {
    /// The token saved under `name` (`quickbooks:<realm>`).
    func oauthToken(named name: String) async throws -> OAuthToken?
    func saveOAuthToken(_ token: OAuthToken, named name: String, at now: Date) async throws
    /// Where a poller left off.
    func pollerCursor(named name: String) async throws -> String?
    /// Saved only after the records up to it are in the inbox, so a crash re-polls rather than skips.
    func savePollerCursor(_ value: String, named name: String, at now: Date) async throws
}
