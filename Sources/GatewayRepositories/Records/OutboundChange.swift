public import Foundation
public import GatewayCore

/// A change a store write just made that receivers may want to hear about, handed to the engine's
/// `OutboundEventRules` inside the same transaction. The store only says what it wrote; the rules
/// decide which events that makes and what they carry.
public enum OutboundChange: Sendable {
    case referralSubmitted(ReferralSubmission)
    /// The ledger recorded the referral's contract for the first time.
    case referralSigned(Referral, Contract)
    case referralLost(Referral)
    case accrualCreated(Accrual)
    /// An open line's terms were recomputed (a partial refund during the hold lowers its amount).
    case accrualChanged(before: Accrual, after: Accrual)
    /// An open line was voided (a void or a full refund during the hold).
    case accrualVoided(Accrual, reason: String)
    case accrualApproved(Accrual)
    case payoutCreated(Payout)
    case payoutPaid(Payout)
    /// A delivery was settled failed or dead.
    case deliverySettled(SettledDelivery)
    /// A source went quiet for longer than its cadence.
    case sourceSilent(SourceSilence)
}

/// What time alone changed since the last look (`from`, exclusive) up to `to`: lines whose hold
/// may have ended, referrals whose attribution window may have closed. The rules decide which did.
public struct OutboundTimeCandidates: Sendable {
    public var from: Date
    public var to: Date
    /// Open lines whose hold ends in the interval.
    public var accruals: [Accrual]
    /// Referrals without a contract, with their plan's versions (the window is the governing version's).
    public var referrals: [(referral: Referral, planVersions: [PlanVersion])]

    public init(from: Date, to: Date, accruals: [Accrual], referrals: [(referral: Referral, planVersions: [PlanVersion])]) {
        self.from = from
        self.to = to
        self.accruals = accruals
        self.referrals = referrals
    }
}

/// A delivery as an outbound event tells it: its metadata and outcome, never its body.
public struct SettledDelivery: Sendable, Hashable, Codable {
    public var id: DeliveryID
    public var source: String
    public var vendorDeliveryID: String
    public var eventType: String?
    public var receivedAt: Date
    public var status: DeliveryStatus
    public var reason: String?
    public var attempts: Int

    public init(
        id: DeliveryID, source: String, vendorDeliveryID: String, eventType: String?, receivedAt: Date, status: DeliveryStatus, reason: String?,
        attempts: Int
    ) {
        self.id = id
        self.source = source
        self.vendorDeliveryID = vendorDeliveryID
        self.eventType = eventType
        self.receivedAt = receivedAt
        self.status = status
        self.reason = reason
        self.attempts = attempts
    }

    enum CodingKeys: String, CodingKey {
        case id, source, status, reason, attempts
        case vendorDeliveryID = "vendor_delivery_id"
        case eventType = "event_type"
        case receivedAt = "received_at"
    }
}

/// A source that stayed quiet for longer than its declared cadence.
public struct SourceSilence: Sendable, Hashable, Codable {
    public var source: String
    /// When its last delivery was stored; `nil` when it never sent one.
    public var lastDeliveryAt: Date?
    /// Since when it has been quiet: its last delivery, or when the gateway started watching it.
    public var quietSince: Date
    /// The cadence it declared (`GATEWAY_<SOURCE>_SILENT_AFTER`), in seconds.
    public var silentAfter: TimeInterval
    /// When the gateway raised the alert.
    public var raisedAt: Date

    public init(source: String, lastDeliveryAt: Date?, quietSince: Date, silentAfter: TimeInterval, raisedAt: Date) {
        self.source = source
        self.lastDeliveryAt = lastDeliveryAt
        self.quietSince = quietSince
        self.silentAfter = silentAfter
        self.raisedAt = raisedAt
    }

    enum CodingKeys: String, CodingKey {
        case source
        case lastDeliveryAt = "last_delivery_at"
        case quietSince = "quiet_since"
        case silentAfter = "silent_after_seconds"
        case raisedAt = "raised_at"
    }
}

/// A watched source as the silence monitor reads it.
public struct SourceActivity: Sendable, Hashable {
    public var source: String
    /// When the gateway first watched it.
    public var watchedSince: Date
    public var lastDeliveryAt: Date?
    /// The open alert, if the source is silent now.
    public var silence: SourceSilence?

    public init(source: String, watchedSince: Date, lastDeliveryAt: Date?, silence: SourceSilence?) {
        self.source = source
        self.watchedSince = watchedSince
        self.lastDeliveryAt = lastDeliveryAt
        self.silence = silence
    }
}
