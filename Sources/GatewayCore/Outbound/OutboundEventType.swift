/// What the gateway tells registered endpoints about (`docs/outbound-events.md` has each payload).
/// The raw value is the event's `type`, as receivers subscribe to it and read it in the body.
public enum OutboundEventType: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// A partner submitted a prospect in the portal.
    case referralSubmitted = "referral.submitted"
    /// The ledger found the referral's contract: its first agreement, signing or payment.
    case referralSigned = "referral.signed"
    /// An admin (or an import) marked the prospect lost.
    case referralLost = "referral.lost"
    /// The attribution window closed without a contract.
    case referralExpired = "referral.expired"
    /// A new accrual line (a commission earned).
    case accrualCreated = "accrual.created"
    /// A line can go into the next payout: its hold ended (or it was approved).
    case accrualPayable = "accrual.payable"
    /// A refund, credit or void reduced a line, voided it, or added a negative line against a paid one.
    case accrualClawedBack = "accrual.clawed_back"
    case payoutCreated = "payout.created"
    case payoutPaid = "payout.paid"
    /// An inbound delivery could not be mapped or applied (permanent until replayed).
    case deliveryFailed = "delivery.failed"
    /// An inbound delivery used up its retries.
    case deliveryDead = "delivery.dead"
    /// A source stayed quiet for longer than its declared cadence.
    case sourceSilent = "source.silent"

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
