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

    /// What each partner sent the MSP against what the MSP sent them over the settings' window,
    /// flagged by the settings' ratio.
    public func giveGet(at now: Date, quietAfterDays: Int) async throws -> [GiveGetBalance] {
        let settings = try await store.program.settings()
        let policy = GiveGetBalance.Policy(
            ratio: settings.giveGetRatio, windowMonths: settings.giveGetWindowMonths, quietAfterDays: max(1, quietAfterDays))
        let referrals = try await store.program.referrals().map(\.referral)
        let contracts = try await store.ledger.contracts()
        let outbound = try await store.program.outboundReferrals()
        return try await store.program.partners().map { partner in
            GiveGetBalance(
                partner: partner, referrals: referrals.filter { $0.partnerID == partner.id },
                contracts: contracts.filter { $0.partnerID == partner.id }, outbound: outbound.filter { $0.partnerID == partner.id },
                now: now, policy: policy)
        }
    }

    /// The partners the MSP owes a give-back: those who sent more than the settings' ratio times
    /// what they got, most referrals received first.
    public func owedGiveBack(at now: Date, quietAfterDays: Int = 90) async throws -> [GiveGetBalance] {
        GiveGetBalance.owedGiveBack(try await giveGet(at: now, quietAfterDays: quietAfterDays))
    }

    /// Who to ask for a referral next: clients at a high-intent moment with no ask recorded in the
    /// last `windowDays` (the settings' `ask_window_days` when `nil`).
    public func askNext(at now: Date, windowDays: Int? = nil, roster: ClientRoster? = nil) async throws -> [AskSuggestion] {
        var days = try await store.program.settings().askWindowDays
        if let windowDays { days = try ProgramValidation.askWindowDays(windowDays) }
        let clients: ClientRoster
        if let roster { clients = roster } else { clients = try await clientRoster() }
        return AskSuggestion.list(roster: clients, reviews: try await store.program.clientReviews(), now: now, windowDays: days)
    }

    /// A partner's running MRR on each of `dates`, by the one running rule.
    public func runningMRR(of partner: PartnerID, on dates: [Date]) async throws -> [[Money]] {
        let roster = try await clientRoster()
        let contracts = try await store.ledger.contracts().filter { $0.partnerID == partner }
        return dates.map { roster.runningMRR(contracts, on: $0) }
    }

    /// Each partner's running clients and what they bring a month on `date`, by the one running rule.
    public func running(on date: Date) async throws -> [PartnerID: (clients: Int, mrr: [Money])] {
        let roster = try await clientRoster()
        return Dictionary(grouping: roster.running(try await store.ledger.contracts(), on: date), by: \.partnerID)
            .mapValues { ($0.count, roster.mrr(of: $0, on: date)) }
    }

    /// The program's metrics over `period`, as of `now`.
    ///
    /// - Parameter roster: the client roster, when the caller already read it for another report.
    public func programMetrics(
        period: ReportPeriod, at now: Date, topPercent: Int = 15, quietAfterDays: Int = 90, roster: ClientRoster? = nil
    ) async throws -> ProgramMetrics {
        guard (1...100).contains(topPercent) else { throw GatewayError.invalid("top_percent must be 1 to 100") }
        let referrals = try await ProgramService(store: store).referrals(at: now).map { ($0.referral, $0.status) }
        // Give and get as it stood at the period's end, like the rest of the metrics.
        let giveGet = try await giveGet(at: min(period.end, now), quietAfterDays: quietAfterDays)
        let clients: ClientRoster
        if let roster { clients = roster } else { clients = try await clientRoster() }
        return ProgramMetrics(
            period: period, generatedAt: now, partners: try await store.program.partners(), referrals: referrals,
            contracts: try await store.ledger.contracts(), roster: clients, giveGet: giveGet, topPercent: topPercent,
            goLive: try await store.program.settings().goLive)
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
