public import Foundation

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
    /// Give and get: a partner relationship is tipped when one side's referrals exceed this many
    /// times the other's (3 means 3 to 1) over the trailing `giveGetWindowMonths`.
    public var giveGetRatio: Int
    /// The months of referrals the give and get compares.
    public var giveGetWindowMonths: Int
    /// "Who to ask next": a client at a high-intent moment in the last this many days, with no
    /// referral ask recorded in them.
    public var askWindowDays: Int
    /// The day the gateway's history of clients is complete: a client whose first payment,
    /// agreement or signing came before it was already a client, so reports never count it as new
    /// (however late its first event reached the gateway). `nil`: every client is new when it
    /// first appears.
    public var goLive: Date?

    public init(
        conflictRule: ConflictRule = .firstValidClaim, approvalThresholds: [String: Int64] = [:], giveGetRatio: Int = 3,
        giveGetWindowMonths: Int = 12, askWindowDays: Int = 90, goLive: Date? = nil
    ) {
        self.conflictRule = conflictRule
        self.approvalThresholds = approvalThresholds
        self.giveGetRatio = giveGetRatio
        self.giveGetWindowMonths = giveGetWindowMonths
        self.askWindowDays = askWindowDays
        self.goLive = goLive
    }

    /// Settings saved before a field existed (and a `PUT` that leaves one out) take its default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ProgramSettings()
        self.init(
            conflictRule: try container.decodeIfPresent(ConflictRule.self, forKey: .conflictRule) ?? defaults.conflictRule,
            approvalThresholds: try container.decodeIfPresent([String: Int64].self, forKey: .approvalThresholds) ?? defaults.approvalThresholds,
            giveGetRatio: try container.decodeIfPresent(Int.self, forKey: .giveGetRatio) ?? defaults.giveGetRatio,
            giveGetWindowMonths: try container.decodeIfPresent(Int.self, forKey: .giveGetWindowMonths) ?? defaults.giveGetWindowMonths,
            askWindowDays: try container.decodeIfPresent(Int.self, forKey: .askWindowDays) ?? defaults.askWindowDays,
            goLive: try container.decodeIfPresent(Date.self, forKey: .goLive))
    }

    /// Whether `amount` needs an admin's approval before it can be paid.
    public func needsApproval(_ amount: Money) -> Bool {
        guard let threshold = approvalThresholds[amount.currency.code] else { return false }
        return amount.minorUnits > threshold
    }

    enum CodingKeys: String, CodingKey {
        case conflictRule = "conflict_rule"
        case approvalThresholds = "approval_thresholds"
        case giveGetRatio = "give_get_ratio"
        case giveGetWindowMonths = "give_get_window_months"
        case askWindowDays = "ask_window_days"
        case goLive = "go_live"
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
