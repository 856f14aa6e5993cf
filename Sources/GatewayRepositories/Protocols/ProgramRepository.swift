public import Foundation
public import GatewayCore

/// The program as the admin sets it up. Writes that change what the ledger reads take the
/// ledger's rules and recompute in the same transaction.
public protocol ProgramRepository: Sendable {
    /// Stores a partner; its `id` is assigned by the store.
    func addPartner(_ partner: Partner, at now: Date) async throws -> Partner
    func partners() async throws -> [Partner]
    func partner(_ id: PartnerID) async throws -> Partner?

    /// Stores a plan with its first version.
    /// - Throws: `GatewayError.conflict` when the name is taken.
    func addPlan(name: String, terms: PlanTerms, at now: Date) async throws -> CommissionPlan
    /// Adds the next version to a plan and recomputes the ledger.
    func addPlanVersion(_ plan: PlanID, terms: PlanTerms, rules: any LedgerRules, at now: Date) async throws -> PlanVersion
    func plans() async throws -> [CommissionPlan]
    func plan(_ id: PlanID) async throws -> CommissionPlan?

    /// Stores a referral (its `id` assigned by the store) with the keys customers are matched to
    /// it by and the flags raised when it was recorded, and recomputes the ledger.
    func addReferral(_ referral: Referral, flags: [String], rules: any LedgerRules, at now: Date) async throws -> StoredReferral
    func referrals() async throws -> [StoredReferral]
    func referral(_ id: ReferralID) async throws -> StoredReferral?
    /// Referrals of partners other than `partner` that claim any of `keys`.
    func claims(on keys: [String], otherThan partner: PartnerID) async throws -> [ReferralID]
    /// The first payment, agreement or signing before `date` of a customer matching any of `keys`.
    func firstClientEvent(on keys: [String], before date: Date) async throws -> Date?
    /// Records the qualified meeting and recomputes.
    func setQualified(_ id: ReferralID, on date: Date, rules: any LedgerRules, at now: Date) async throws
    /// Records the prospect as lost and recomputes.
    func setLost(_ id: ReferralID, on date: Date, reason: String, rules: any LedgerRules, at now: Date) async throws
    /// Records an admin's attribution of a customer to a referral and recomputes.
    func addOverride(customerKey: String, to referral: ReferralID, reason: String, rules: any LedgerRules, at now: Date) async throws

    func settings() async throws -> ProgramSettings
    /// Saves the settings and recomputes.
    func saveSettings(_ settings: ProgramSettings, rules: any LedgerRules, at now: Date) async throws

    /// Stores an outbound referral; its `id` is assigned by the store.
    func addOutboundReferral(_ referral: OutboundReferral, at now: Date) async throws -> OutboundReferral
    func outboundReferrals() async throws -> [OutboundReferral]
    /// Stores a client review; its `id` is assigned by the store.
    func addClientReview(_ review: ClientReview, at now: Date) async throws -> ClientReview
    /// Every review, oldest first.
    func clientReviews() async throws -> [ClientReview]

    /// Writes every change in one transaction, then recomputes the ledger once.
    func apply(_ changes: ProgramChanges, rules: any LedgerRules, at now: Date) async throws

    /// The audit trail, newest first.
    func auditLog(limit: Int) async throws -> [AuditEntry]
}

/// A referral as stored: the record, the flags raised when it was recorded, and when its
/// contract started (if the ledger found one).
public struct StoredReferral: Sendable, Hashable {
    public var referral: Referral
    public var flags: [String]
    public var contractStartedAt: Date?

    public init(referral: Referral, flags: [String], contractStartedAt: Date?) {
        self.referral = referral
        self.flags = flags
        self.contractStartedAt = contractStartedAt
    }
}

/// One admin action, as the audit trail keeps it.
public struct AuditEntry: Sendable, Hashable, Codable {
    public var at: Date
    public var action: String
    public var subject: String
    public var detail: [String: String]

    public init(at: Date, action: String, subject: String, detail: [String: String]) {
        self.at = at
        self.action = action
        self.subject = subject
        self.detail = detail
    }
}
