import Foundation
public import GatewayCore

/// What the ledger should hold and how its effects are told, decided by the engine and handed to
/// a repository write so the decision and the write land in one transaction. A store reads the
/// inputs, asks these rules, and applies the answer; it never decides anything itself.
public protocol LedgerRules: Sendable {
    /// The ledger the program and the stored events call for, as changes to the stored lines.
    func recompute(events: [RecordedEvent], program: ProgramSnapshot, existing: [Accrual]) -> LedgerPlan

    /// Whether, under this plan version, one referral's lines depend on its partner's other
    /// referrals (tiers count the partner's conversions, a yearly cap sums across them, a
    /// first-referral bonus looks for the partner's first contract). A store recomputing part of
    /// the ledger takes all of such a partner's referrals together.
    func tiesPartnerReferrals(_ version: PlanVersion) -> Bool

    /// Whether, under this plan version, a payment's lines depend only on its own invoice (its
    /// payments, credits and voids) and its referral's contract: no tier, cap or first-referral
    /// bonus looks at the referral's other lines. A store may then project a batch of a
    /// customer's later invoices with only the events that decided the contract, not every
    /// payment the customer ever made.
    func settlesPaymentsAlone(_ version: PlanVersion) -> Bool

    /// What each event of a settled delivery did, in words, in the events' order.
    ///
    /// - Parameters:
    ///   - explanations: the ledger's word on each business key it recomputed (empty when the
    ///     batch could not change the ledger).
    ///   - firstDelivery: the first delivery that carried each of these events' business keys.
    func explain(
        _ events: [BusinessEvent], of delivery: DeliveryID, explanations: [String: String], firstDelivery: [String: DeliveryID]
    ) -> [String]
}

/// A recomputation's result, ready to be written.
public struct LedgerPlan: Sendable {
    /// One per referral whose customer started a contract.
    public var contracts: [ProjectedContract]
    /// Changes to the stored accrual lines (paid lines are never among them).
    public var changes: [AccrualReconciler.Change]
    public var conflicts: [AttributionConflict]
    /// What the ledger did with each business event, by business key.
    public var explanations: [String: String]

    public init(
        contracts: [ProjectedContract], changes: [AccrualReconciler.Change], conflicts: [AttributionConflict], explanations: [String: String]
    ) {
        self.contracts = contracts
        self.changes = changes
        self.conflicts = conflicts
        self.explanations = explanations
    }
}
