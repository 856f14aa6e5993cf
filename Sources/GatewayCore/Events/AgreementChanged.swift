public import Foundation

/// A running PSA agreement's recurring amount changed (an expansion or a contraction), from
/// `effectiveAt`. Running MRR and the metrics follow it; cash-based commission does not read it.
public struct AgreementChanged: Hashable, Sendable, Codable {
    public var account: String?
    public var agreementID: String
    public var customer: CustomerReference
    /// The new amount, billed each `billingCycle` (monthly unless the PSA says otherwise).
    public var recurringAmount: Money?
    public var billingCycle: String?
    /// When the new amount applies from (the PSA's change date when it gives none other).
    public var effectiveAt: Date

    public init(
        account: String? = nil, agreementID: String, customer: CustomerReference, recurringAmount: Money?, billingCycle: String? = nil,
        effectiveAt: Date
    ) {
        self.account = account
        self.agreementID = agreementID
        self.customer = customer
        self.recurringAmount = recurringAmount
        self.billingCycle = billingCycle
        self.effectiveAt = effectiveAt
    }

    /// The new amount per month, read as `AgreementCreated.monthlyAmount` reads it.
    public var monthlyAmount: Money? {
        recurringAmount.map { AgreementCreated.perMonth($0, cycle: billingCycle) }
    }

    enum CodingKeys: String, CodingKey {
        case account, customer
        case agreementID = "agreement_id"
        case recurringAmount = "recurring_amount"
        case billingCycle = "billing_cycle"
        case effectiveAt = "effective_at"
    }
}
