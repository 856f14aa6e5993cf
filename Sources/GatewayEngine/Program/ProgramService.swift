public import Foundation
public import GatewayCore
public import GatewayRepositories

/// Program administration: the one way partners, plans, referrals, overrides, settings, payouts,
/// outbound referrals and client reviews change, whether the admin API, the command line, the
/// console or an import asked. Validates every input (`ProgramValidation`), checks what it names
/// exists, decides what the program's rules say, and writes through the repositories.
public struct ProgramService: Sendable {
    private let store: any Repositories
    private let ledger = LedgerService()

    public init(store: any Repositories) {
        self.store = store
    }

    // MARK: Partners

    public func addPartner(_ input: PartnerInput, at now: Date) async throws -> Partner {
        try await store.program.addPartner(try ProgramValidation.partner(input, at: now), at: now)
    }

    public func partners() async throws -> [Partner] {
        try await store.program.partners()
    }

    /// - Throws: `GatewayError.notFound` for an unknown id.
    public func partner(_ id: PartnerID) async throws -> Partner {
        guard let partner = try await store.program.partner(id) else { throw GatewayError.notFound("partner \(id) does not exist") }
        return partner
    }

    /// Replaces what the admin edits of a partner: name, kind, specialty, payout form, e-mail
    /// and domains (vendor ids stay unless given). Validated as a new partner is.
    public func updatePartner(_ id: PartnerID, _ input: PartnerInput, at now: Date) async throws -> Partner {
        let existing = try await partner(id)
        var changed = try ProgramValidation.partner(input, at: now)
        changed.id = existing.id
        changed.createdAt = existing.createdAt
        changed.deactivatedAt = existing.deactivatedAt
        if input.vendorIDs == nil { changed.vendorIDs = existing.vendorIDs }
        guard changed != existing else { return existing }
        var changes = ProgramChanges()
        changes.changedPartners = [changed]
        try await store.program.apply(changes, rules: ledger, at: now)
        return changed
    }

    /// Deactivates a partner (no new referrals, submissions or portal sign-ins; its referrals keep
    /// earning what they earn), or reactivates it.
    public func setPartnerActive(_ id: PartnerID, _ active: Bool, at now: Date) async throws -> Partner {
        var partner = try await partner(id)
        guard partner.isActive != active else { return partner }
        partner.deactivatedAt = active ? nil : now
        var changes = ProgramChanges()
        changes.changedPartners = [partner]
        try await store.program.apply(changes, rules: ledger, at: now)
        return partner
    }

    // MARK: Plans

    public func addPlan(_ input: PlanInput, at now: Date) async throws -> CommissionPlan {
        let name = try ProgramValidation.required(input.name, "name")
        var terms = try ProgramValidation.terms(input.terms)
        // A plan's first terms apply to every event, however old, unless they say otherwise.
        terms.effectiveFrom = terms.effectiveFrom ?? Date(timeIntervalSince1970: 0)
        return try await store.program.addPlan(name: name, terms: terms, at: now)
    }

    /// Adds a version effective from its date; accruals earned before it keep their version.
    public func addPlanVersion(_ plan: PlanID, _ terms: PlanTerms, at now: Date) async throws -> PlanVersion {
        let terms = try ProgramValidation.terms(terms)
        guard let effective = terms.effectiveFrom else { throw GatewayError.invalid("a new version needs effective_from") }
        guard let existing = try await store.program.plan(plan) else { throw GatewayError.notFound("plan \(plan) does not exist") }
        if let first = existing.versions.first, effective < first.effectiveFrom {
            throw GatewayError.invalid(
                "effective_from \(effective.formatted(.iso8601)) is before the plan's first version (\(first.effectiveFrom.formatted(.iso8601)))")
        }
        return try await store.program.addPlanVersion(plan, terms: terms, rules: ledger, at: now)
    }

    public func plans() async throws -> [CommissionPlan] {
        try await store.program.plans()
    }

    // MARK: Referrals

    /// Records a referral with the flags an admin should see (a company already a client, or
    /// claimed by another partner), and recomputes the ledger so events that arrived before it
    /// are picked up inside its window.
    ///
    /// - Throws: `GatewayError.notFound` for an unknown partner or plan; `.refused` for a
    ///   self-referral (the prospect is the partner's own company).
    public func addReferral(_ input: ReferralInput, at now: Date) async throws -> ReferralRecord {
        let referral = try ProgramValidation.referral(input, at: now)
        let partner = try await partner(referral.partnerID)
        guard let plan = try await store.program.plan(referral.planID) else { throw GatewayError.notFound("plan \(referral.planID) does not exist") }
        try ProgramValidation.takesReferrals(partner)
        try ProgramValidation.notSelfReferral(referral, by: partner)
        let stored = try await store.program.addReferral(referral, flags: try await flags(for: referral), rules: ledger, at: now)
        return ReferralRecord(stored, versions: plan.versions, at: now)
    }

    /// What an admin should know about a referral as it is recorded: the company is claimed by
    /// another partner, or was already a client before the introduction.
    func flags(for referral: Referral) async throws -> [String] {
        let keys = referral.matchKeys.map(\.storageKey)
        var flags: [String] = []
        let claimed = try await store.program.claims(on: keys, otherThan: referral.partnerID)
        if !claimed.isEmpty {
            flags.append("already claimed by referral \(claimed.map { "\($0)" }.joined(separator: ", ")) of another partner")
        }
        if let earlier = try await store.program.firstClientEvent(on: keys, before: referral.introducedAt) {
            flags.append("already a client: paid or signed on \(earlier.formatted(.iso8601)), before the introduction")
        }
        return flags
    }

    /// Writes an import's changes together and recomputes the ledger once.
    func apply(_ changes: ProgramChanges, at now: Date) async throws {
        try await store.program.apply(changes, rules: ledger, at: now)
    }

    /// Every referral with its status on `now`.
    public func referrals(at now: Date) async throws -> [ReferralRecord] {
        let plans = Dictionary(uniqueKeysWithValues: try await store.program.plans().map { ($0.id, $0.versions) })
        return try await store.program.referrals().map { ReferralRecord($0, versions: plans[$0.referral.planID] ?? [], at: now) }
    }

    /// Records the qualified meeting (which may earn a flat reward) and recomputes.
    public func qualifyReferral(_ id: ReferralID, on date: String?, at now: Date) async throws -> ReferralRecord {
        let day = try DateInput.parseIfPresent(date, field: "on") ?? now
        _ = try await referral(id, at: now)
        try await store.program.setQualified(id, on: day, rules: ledger, at: now)
        return try await referral(id, at: now)
    }

    /// Marks the prospect lost: from `date` on the referral claims nothing.
    public func loseReferral(_ id: ReferralID, on date: String?, reason: String?, at now: Date) async throws -> ReferralRecord {
        let day = try DateInput.parseIfPresent(date, field: "on") ?? now
        _ = try await referral(id, at: now)
        try await store.program.setLost(id, on: day, reason: reason?.trimmingCharacters(in: .whitespaces) ?? "", rules: ledger, at: now)
        return try await referral(id, at: now)
    }

    /// An admin's attribution decision: the customer belongs to this referral, whatever matching
    /// says. Audited with the reason; the ledger is recomputed from the stored events.
    public func overrideAttribution(_ id: ReferralID, customer: String?, reason: String?, at now: Date) async throws -> ReferralRecord {
        let key = try ProgramValidation.customerKey(customer)
        let why = try ProgramValidation.required(reason, "reason")
        _ = try await referral(id, at: now)
        guard try await store.inbox.customerIsKnown(key) else {
            throw GatewayError.notFound("no stored event names customer \(customer ?? ""); overrides name a customer the gateway has seen")
        }
        try await store.program.addOverride(customerKey: key, to: id, reason: why, rules: ledger, at: now)
        return try await referral(id, at: now)
    }

    private func referral(_ id: ReferralID, at now: Date) async throws -> ReferralRecord {
        guard let stored = try await store.program.referral(id) else { throw GatewayError.notFound("referral \(id) does not exist") }
        let versions = try await store.program.plan(stored.referral.planID)?.versions ?? []
        return ReferralRecord(stored, versions: versions, at: now)
    }

    // MARK: Settings and the ledger

    public func settings() async throws -> ProgramSettings {
        try await store.program.settings()
    }

    /// Replaces the settings `input` names and keeps the others; the ledger is recomputed.
    public func updateSettings(_ input: SettingsInput, at now: Date) async throws -> ProgramSettings {
        try await saveSettings(input.applied(to: try await settings()), at: now)
    }

    /// Saves the settings; the ledger is recomputed with them.
    public func saveSettings(_ settings: ProgramSettings, at now: Date) async throws -> ProgramSettings {
        let settings = try ProgramValidation.settings(settings)
        try await store.program.saveSettings(settings, rules: ledger, at: now)
        return settings
    }

    /// Recomputes every accrual from the stored events (paid lines are never edited).
    public func rebuildLedger(at now: Date) async throws {
        try await store.ledger.recompute(rules: ledger, at: now)
    }

    public func auditLog(limit: Int = 200) async throws -> [AuditEntry] {
        try await store.program.auditLog(limit: limit)
    }

    // MARK: Accruals and payouts

    /// Approves a line held for manual approval.
    public func approveAccrual(_ id: AccrualID, at now: Date) async throws -> Accrual {
        guard let accrual = try await store.ledger.accrual(id) else { throw GatewayError.notFound("accrual \(id) does not exist") }
        guard accrual.state == .open else { throw GatewayError.refused("accrual \(id) is \(accrual.state.rawValue), not open") }
        return try await store.ledger.markApproved(id, at: now)
    }

    /// Puts every line payable on `now` into a new batch, clawbacks netted (`Payout.selection`).
    ///
    /// - Throws: `GatewayError.refused` when nothing is payable.
    public func createPayout(note: String?, at now: Date) async throws -> Payout {
        let note = note?.trimmingCharacters(in: .whitespaces)
        guard let payout = try await store.ledger.addPayout(note: note?.isEmpty == false ? note : nil, at: now, select: { Payout.selection(from: $0, at: now) })
        else { throw GatewayError.refused("nothing is payable on \(now.formatted(.iso8601))") }
        return payout
    }

    /// Marks a batch paid: its lines are final and are never edited again.
    public func markPayoutPaid(_ id: Int64, at now: Date) async throws -> Payout {
        let payout = try await payout(id)
        guard payout.paidAt == nil else { throw GatewayError.refused("payout \(id) was already marked paid") }
        return try await store.ledger.markPayoutPaid(id, at: now)
    }

    public func payout(_ id: Int64) async throws -> Payout {
        guard let payout = try await store.ledger.payout(id) else { throw GatewayError.notFound("payout \(id) does not exist") }
        return payout
    }

    public func payouts() async throws -> [Payout] {
        try await store.ledger.payouts()
    }

    // MARK: Give and get, client reviews

    public func addOutboundReferral(_ input: OutboundReferralInput, at now: Date) async throws -> OutboundReferral {
        let referral = try ProgramValidation.outboundReferral(input, at: now)
        _ = try await partner(referral.partnerID)
        return try await store.program.addOutboundReferral(referral, at: now)
    }

    public func outboundReferrals() async throws -> [OutboundReferral] {
        try await store.program.outboundReferrals()
    }

    /// Records a review meeting with a client of the roster.
    ///
    /// - Throws: `GatewayError.notFound` when no stored event names the client.
    public func addClientReview(_ input: ClientReviewInput, at now: Date) async throws -> ClientReview {
        let review = try ProgramValidation.clientReview(input, at: now)
        guard try await store.reports.clientRoster().client(review.client) != nil else {
            throw GatewayError.notFound("no client \(review.client) in the roster (use a key from GET /admin/clients)")
        }
        return try await store.program.addClientReview(review, at: now)
    }

    public func clientReviews() async throws -> [ClientReview] {
        try await store.program.clientReviews()
    }
}

/// A referral as the admin reads it: the record, its status on the day it is read, and the flags
/// raised when it was recorded.
public struct ReferralRecord: Sendable, Hashable, Encodable {
    public var referral: Referral
    public var status: Referral.Status
    public var flags: [String]

    /// - Parameter versions: the referral's plan's versions; the one governing the introduction
    ///   date sets the attribution window, as in the ledger.
    public init(_ stored: StoredReferral, versions: [PlanVersion], at now: Date) {
        referral = stored.referral
        // Dates are stored to the millisecond (rounded); a step recorded "now" must count as done now.
        status = stored.referral.status(on: now.addingTimeInterval(0.001), contractStartedAt: stored.contractStartedAt, planVersions: versions)
        flags = stored.flags
    }

    public func encode(to encoder: any Encoder) throws {
        try referral.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
        try container.encode(flags, forKey: .flags)
    }

    enum CodingKeys: String, CodingKey { case status, flags }
}
