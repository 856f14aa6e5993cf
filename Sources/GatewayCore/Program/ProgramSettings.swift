/// Program-wide choices an MSP makes once.
public struct ProgramSettings: Hashable, Sendable, Codable {
    /// How competing claims on one company are settled.
    public enum ConflictRule: String, Hashable, Sendable, Codable, CaseIterable {
        /// The earliest valid introduction wins (default).
        case firstValidClaim = "first_valid_claim"
        /// The latest valid introduction wins.
        case lastClaim = "last_claim"
        /// Every valid claim shares, in the shares stated on the referrals.
        case split
    }

    public var conflictRule: ConflictRule
    /// Accrual lines above this amount (per currency, minor units) wait for an admin's approval.
    public var approvalThresholds: [String: Int64]

    public init(conflictRule: ConflictRule = .firstValidClaim, approvalThresholds: [String: Int64] = [:]) {
        self.conflictRule = conflictRule
        self.approvalThresholds = approvalThresholds
    }

    /// Whether `amount` needs an admin's approval before it can be paid.
    public func needsApproval(_ amount: Money) -> Bool {
        guard let threshold = approvalThresholds[amount.currency.code] else { return false }
        return amount.minorUnits > threshold
    }

    enum CodingKeys: String, CodingKey {
        case conflictRule = "conflict_rule"
        case approvalThresholds = "approval_thresholds"
    }
}

/// An admin's decision that a customer belongs to a referral, whatever matching says.
public struct AttributionOverride: Hashable, Sendable, Codable {
    /// `vendor:<source>:<id>` of the customer.
    public var customerKey: String
    public var referralID: ReferralID
    public var reason: String

    public init(customerKey: String, referralID: ReferralID, reason: String) {
        self.customerKey = customerKey
        self.referralID = referralID
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case reason
        case customerKey = "customer_key"
        case referralID = "referral_id"
    }
}
