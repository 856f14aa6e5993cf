public import Foundation

/// What one business event changes in the ledger. The store writes it in the transaction that
/// marks the delivery processed.
public struct LedgerEffects: Hashable, Sendable {
    /// Where the event's contract comes from.
    public enum ContractChange: Hashable, Sendable {
        /// The referral already had a contract.
        case existing(Contract)
        /// The event starts the referral's contract.
        case new(ContractDraft)
    }

    /// The contract the accruals belong to; `nil` when the event is not attributed to a referral.
    public var contract: ContractChange?
    /// New accrual lines, all for `contract`.
    public var accruals: [AccrualLine]
    /// The referral the event was attributed to, if any.
    public var referral: ReferralID?
    /// Keys `referral` should answer to from now on (the customer's vendor id).
    public var learnedKeys: [ReferralMatchKey]
    /// A sentence an admin can read: why the event did or did not accrue.
    public var explanation: String

    public init(
        contract: ContractChange? = nil, accruals: [AccrualLine] = [], referral: ReferralID? = nil,
        learnedKeys: [ReferralMatchKey] = [], explanation: String
    ) {
        self.contract = contract
        self.accruals = accruals
        self.referral = referral
        self.learnedKeys = learnedKeys
        self.explanation = explanation
    }

    /// An event the ledger leaves alone, with the reason.
    public static func none(_ explanation: String) -> LedgerEffects {
        LedgerEffects(explanation: explanation)
    }
}

/// A contract the engine starts, before the store gives it an id.
public struct ContractDraft: Hashable, Sendable {
    public var referral: Referral
    public var customer: CustomerReference
    public var startedAt: Date
    public var createdByDelivery: DeliveryID

    public init(referral: Referral, customer: CustomerReference, startedAt: Date, createdByDelivery: DeliveryID) {
        self.referral = referral
        self.customer = customer
        self.startedAt = startedAt
        self.createdByDelivery = createdByDelivery
    }
}
