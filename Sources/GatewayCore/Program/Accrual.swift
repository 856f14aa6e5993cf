public import Foundation

/// One commission line as the ledger keeps it.
public struct Accrual: Hashable, Sendable, Identifiable {
    /// What the ledger stores; the rest of a line's life is derived (see `status(at:)`).
    public enum State: String, Sendable, Codable {
        /// Open: held, awaiting approval or payable, depending on dates and approvals.
        case open
        /// Reduced to nothing before it was paid (a void or a full refund during the hold).
        case voided
        /// In a payout batch marked paid: never edited again.
        case paid
    }

    /// Where a line is, as an admin reads it.
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// Inside the hold period.
        case pending
        /// Above the program's approval threshold, waiting for an admin.
        case awaitingApproval = "awaiting_approval"
        /// Can go into the next payout batch.
        case payable
        /// In a payout batch not yet marked paid.
        case inPayout = "in_payout"
        case paid
        case voided

        /// The status of a line in `state`, from the facts that decide it (so a query that
        /// groups lines by these facts reads statuses the way `status(at:)` does).
        ///
        /// - Parameters:
        ///   - inPayout: the line is in a payout batch.
        ///   - held: a positive line still inside its hold period.
        ///   - unapproved: the line needs an approval it has not had.
        public init(state: State, inPayout: Bool, held: Bool, unapproved: Bool) {
            switch state {
            case .paid: self = .paid
            case .voided: self = .voided
            case .open:
                if inPayout { self = .inPayout } else if held { self = .pending } else if unapproved { self = .awaitingApproval } else { self = .payable }
            }
        }
    }

    public var id: AccrualID
    public var contractID: ContractID?
    public var line: AccrualLine
    public var state: State
    public var approvedAt: Date?
    public var payoutID: Int64?

    public init(
        id: AccrualID, contractID: ContractID?, line: AccrualLine, state: State = .open, approvedAt: Date? = nil, payoutID: Int64? = nil
    ) {
        self.id = id
        self.contractID = contractID
        self.line = line
        self.state = state
        self.approvedAt = approvedAt
        self.payoutID = payoutID
    }

    public var partnerID: PartnerID { line.partnerID }

    /// The line's status on `date`.
    public func status(at date: Date) -> Status {
        Status(
            state: state, inPayout: payoutID != nil, held: line.amount.minorUnits > 0 && date < line.holdUntil,
            unapproved: line.needsApproval && approvedAt == nil)
    }
}

/// What the ledger decides a line should be: the projection of the program over the stored
/// events. Every field explains the amount.
public struct AccrualLine: Hashable, Sendable, Codable {
    /// Who receives the money.
    public enum Beneficiary: String, Hashable, Sendable, Codable {
        /// The referring partner.
        case partner
        /// The referred client (a double-sided reward: a credit on its own invoice).
        case referredClient = "referred_client"
    }

    /// Stable across recomputations: the business effect, the rule and the referral.
    public var key: String
    /// The referring partner (also on a client credit, which the partner's referral earned).
    public var partnerID: PartnerID
    public var beneficiary: Beneficiary
    public var referralID: ReferralID
    /// The delivery that carried the event (none for a qualified-meeting reward).
    public var sourceDelivery: DeliveryID?
    /// The business key of the event that earned it (`stripe:-:invoice:in_1:paid`).
    public var businessKey: String
    public var rule: String
    public var planID: PlanID
    public var planVersion: Int
    /// What a percentage was taken of, after exclusions and reversals; `nil` for flat rewards.
    public var basis: Money?
    public var rate: BasisPoints?
    public var amount: Money
    /// When it was earned (the event's date, never the processing time).
    public var earnedAt: Date
    public var holdUntil: Date
    /// Steps, tiers, splits, reversals and caps that shaped the amount, in words.
    public var note: String
    public var needsApproval: Bool
    /// For an adjustment of a paid line: the key of the line it corrects.
    public var adjusts: String?

    public init(
        key: String, partnerID: PartnerID, beneficiary: Beneficiary = .partner, referralID: ReferralID, sourceDelivery: DeliveryID?,
        businessKey: String, rule: String, planID: PlanID, planVersion: Int, basis: Money?, rate: BasisPoints?, amount: Money,
        earnedAt: Date, holdUntil: Date, note: String = "", needsApproval: Bool = false, adjusts: String? = nil
    ) {
        self.key = key
        self.partnerID = partnerID
        self.beneficiary = beneficiary
        self.referralID = referralID
        self.sourceDelivery = sourceDelivery
        self.businessKey = businessKey
        self.rule = rule
        self.planID = planID
        self.planVersion = planVersion
        self.basis = basis
        self.rate = rate
        self.amount = amount
        self.earnedAt = earnedAt
        self.holdUntil = holdUntil
        self.note = note
        self.needsApproval = needsApproval
        self.adjusts = adjusts
    }

    enum CodingKeys: String, CodingKey {
        case key, beneficiary, rule, basis, rate, amount, note, adjusts
        case partnerID = "partner_id"
        case referralID = "referral_id"
        case sourceDelivery = "source_delivery"
        case businessKey = "business_key"
        case planID = "plan_id"
        case planVersion = "plan_version"
        case earnedAt = "earned_at"
        case holdUntil = "hold_until"
        case needsApproval = "needs_approval"
    }
}
