public import Foundation
public import GatewayCore
public import GatewayRepositories

/// What the MSP reads: partner statements, payout exports, program metrics, the client roster
/// and the review KPIs, and the give and get with each partner. Reads through the repositories
/// and asks Core's report types to compute.
public struct ReportService: Sendable {
    private let store: any Repositories

    public init(store: any Repositories) {
        self.store = store
    }

    /// A partner's statement: the lines earned in `period` and the balance on `now`.
    ///
    /// - Throws: `GatewayError.notFound` for an unknown partner.
    public func statement(partner id: PartnerID, period: ReportPeriod, at now: Date) async throws -> PartnerStatement {
        guard let partner = try await store.program.partner(id) else { throw GatewayError.notFound("partner \(id) does not exist") }
        return try await store.reports.statement(of: partner, period: period, at: now)
    }

    /// Every partner's lines summed per currency and status on `now`.
    public func partnerBalances(at now: Date) async throws -> [PartnerID: [StatusTotals]] {
        try await store.reports.partnerBalances(at: now)
    }

    /// A payout batch as bills for accounts payable and credits for clients' next invoices.
    ///
    /// - Throws: `GatewayError.notFound` for an unknown batch.
    public func payoutExport(_ id: Int64) async throws -> PayoutExport {
        guard let payout = try await store.ledger.payout(id) else { throw GatewayError.notFound("payout \(id) does not exist") }
        let partners = try await store.program.partners()
        return PayoutExport(
            payoutID: id, createdAt: payout.createdAt, lines: payout.lines, partners: Dictionary(uniqueKeysWithValues: partners.map { ($0.id, $0) }),
            clients: try await store.reports.referredClients(inPayout: id))
    }

    /// Every client company, one per company across systems.
    public func clientRoster() async throws -> ClientRoster {
        try await store.reports.clientRoster()
    }

    /// What each partner sent the MSP against what the MSP sent them.
    public func giveGet(at now: Date, quietAfterDays: Int) async throws -> [GiveGetBalance] {
        let referrals = try await store.program.referrals().map(\.referral)
        let contracts = try await store.ledger.contracts()
        let outbound = try await store.program.outboundReferrals()
        return try await store.program.partners().map { partner in
            GiveGetBalance(
                partner: partner, referrals: referrals.filter { $0.partnerID == partner.id },
                contracts: contracts.filter { $0.partnerID == partner.id }, outbound: outbound.filter { $0.partnerID == partner.id },
                now: now, quietAfterDays: max(1, quietAfterDays))
        }
    }

    /// The program's metrics over `period`, as of `now`.
    ///
    /// - Parameter roster: the client roster, when the caller already read it for another report.
    public func programMetrics(
        period: ReportPeriod, at now: Date, topPercent: Int = 15, quietAfterDays: Int = 90, roster: ClientRoster? = nil
    ) async throws -> ProgramMetrics {
        guard (1...100).contains(topPercent) else { throw GatewayError.invalid("top_percent must be 1 to 100") }
        let referrals = try await ProgramService(store: store).referrals(at: now).map { ($0.referral, $0.status) }
        let giveGet = try await giveGet(at: now, quietAfterDays: quietAfterDays)
        let clients: ClientRoster
        if let roster { clients = roster } else { clients = try await clientRoster() }
        return ProgramMetrics(
            period: period, generatedAt: now, partners: try await store.program.partners(), referrals: referrals,
            contracts: try await store.ledger.contracts(), roster: clients, giveGet: giveGet, topPercent: topPercent)
    }

    /// The client-review KPIs over `period`.
    ///
    /// - Parameter roster: the client roster, when the caller already read it for another report.
    public func clientReviewKPIs(period: ReportPeriod, roster: ClientRoster? = nil) async throws -> ClientReviewKPIs {
        let clients: ClientRoster
        if let roster { clients = roster } else { clients = try await clientRoster() }
        return ClientReviewKPIs(period: period, roster: clients, reviews: try await store.program.clientReviews())
    }
}
