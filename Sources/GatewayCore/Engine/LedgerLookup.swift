/// What the commission engine needs to know about the program, asked for one event at a time.
///
/// The store answers inside the transaction that will also write the engine's effects, so the
/// engine's decision and the state it was made on cannot drift apart. Tests answer from memory.
public protocol LedgerLookup {
    /// Referrals holding any of `keys`, each with the key that matched it.
    func referrals(matching keys: [ReferralMatchKey]) throws -> [ReferralMatch]
    /// The contract a referral already turned into, if any.
    func contract(for referral: ReferralID) throws -> Contract?
    /// Every version of a plan.
    func planVersions(of plan: PlanID) throws -> [PlanVersion]
    /// Whether an accrual with this key was already made.
    func accrualExists(key: String) throws -> Bool
}

/// A referral found for a customer, and the key it was found by.
public struct ReferralMatch: Hashable, Sendable {
    public var referral: Referral
    public var key: ReferralMatchKey

    public init(referral: Referral, key: ReferralMatchKey) {
        self.referral = referral
        self.key = key
    }
}
