public import Foundation
public import GatewayCore
public import GatewayRepositories

/// The outbound events the gateway sends and the body of each (`docs/outbound-events.md`): which
/// events a store write's changes make, and which time alone makes. The store asks these rules
/// inside the transaction of the change, so an event is in the outbox exactly when its change is.
///
/// Every body is `{"type": …, "timestamp": …, "data": {…}}` (the Standard Webhooks shape), JSON
/// with sorted keys and ISO 8601 dates, the objects in `data` as the admin API writes them.
public struct OutboundEvents: OutboundEventRules {
    public init() {}

    public func events(for changes: [OutboundChange], at now: Date) -> [OutboundEvent] {
        changes.flatMap { events(for: $0, at: now) }
    }

    private func events(for change: OutboundChange, at now: Date) -> [OutboundEvent] {
        switch change {
        case .referralSubmitted(let submission):
            return [
                make(
                    .referralSubmitted, subject: "submission:\(submission.id)", once: true, at: now,
                    data: SubmissionData(submission: submission))
            ]
        case .referralSigned(let referral, let contract):
            return [
                make(
                    .referralSigned, subject: "referral:\(referral.id)", once: true, at: now,
                    data: SignedData(referral: ReferralData(referral: referral, status: .signed), contract: contract))
            ]
        case .referralLost(let referral):
            return [
                make(.referralLost, subject: "referral:\(referral.id)", once: true, at: now, data: LostData(referral: ReferralData(referral: referral, status: .lost)))
            ]
        case .accrualCreated(let accrual):
            // Money taken back is told as a clawback; a line that earns is told as created, and as
            // payable too when nothing holds it (an event older than its hold period).
            if accrual.line.amount.minorUnits < 0 {
                return [clawback(accrual, reason: "money taken back from a paid line: this negative line is deducted from the next payout", previous: nil, at: now)]
            }
            return [make(.accrualCreated, subject: "accrual:\(accrual.id)", once: true, at: now, data: AccrualData(accrual: AccrualView(accrual, at: now)))]
                + payable(accrual, at: now)
        case .accrualChanged(let before, let after):
            var events: [OutboundEvent] = []
            if after.line.amount.currency == before.line.amount.currency, after.line.amount.minorUnits < before.line.amount.minorUnits,
                before.line.amount.minorUnits > 0
            {
                events.append(clawback(after, reason: after.line.note.isEmpty ? "the line was reduced" : after.line.note, previous: before.line.amount, at: now))
            }
            if before.status(at: now) != .payable { events += payable(after, at: now) }
            return events
        case .accrualVoided(let accrual, let reason):
            guard accrual.line.amount.minorUnits > 0 else { return [] }
            return [clawback(accrual, reason: reason, previous: accrual.line.amount, at: now)]
        case .accrualApproved(let accrual):
            return payable(accrual, at: now)
        case .payoutCreated(let payout):
            return [make(.payoutCreated, subject: "payout:\(payout.id)", once: true, at: now, data: PayoutData(payout: payout))]
        case .payoutPaid(let payout):
            return [make(.payoutPaid, subject: "payout:\(payout.id)", once: true, at: now, data: PayoutData(payout: payout))]
        case .deliverySettled(let delivery):
            // A delivery may fail again after a replay: each time is news.
            let type: OutboundEventType = delivery.status == .dead ? .deliveryDead : .deliveryFailed
            return [make(type, subject: "delivery:\(delivery.id)", once: false, at: now, data: DeliveryData(delivery: delivery))]
        case .sourceSilent(let silence):
            // Once per silence episode: the store opens an episode once.
            return [make(.sourceSilent, subject: "source:\(silence.source)", once: false, at: now, data: SilenceData(silence: silence))]
        }
    }

    public func events(forTimePassing candidates: OutboundTimeCandidates) -> [OutboundEvent] {
        let now = candidates.to
        let payableLines = candidates.accruals.flatMap { payable($0, at: now) }
        let expired = candidates.referrals.compactMap { referral, versions -> OutboundEvent? in
            // Expired now and not before: the window closed in the interval, without a contract or a loss first.
            guard referral.status(on: candidates.from, contractStartedAt: nil, planVersions: versions) != .expired,
                referral.status(on: now, contractStartedAt: nil, planVersions: versions) == .expired
            else { return nil }
            return make(
                .referralExpired, subject: "referral:\(referral.id)", once: true, at: now,
                data: ExpiredData(referral: ReferralData(referral: referral, status: .expired), expiredAt: referral.windowEnd(planVersions: versions)))
        }
        return payableLines + expired
    }

    // MARK: Building events

    private func payable(_ accrual: Accrual, at now: Date) -> [OutboundEvent] {
        guard accrual.line.amount.minorUnits > 0, accrual.status(at: now) == .payable else { return [] }
        return [make(.accrualPayable, subject: "accrual:\(accrual.id)", once: true, at: now, data: AccrualData(accrual: AccrualView(accrual, at: now)))]
    }

    private func clawback(_ accrual: Accrual, reason: String, previous: Money?, at now: Date) -> OutboundEvent {
        make(
            .accrualClawedBack, subject: "accrual:\(accrual.id)", once: false, at: now,
            data: ClawbackData(accrual: AccrualView(accrual, at: now), reason: reason, previousAmount: previous))
    }

    /// - Parameter once: whether the event may happen only once for its subject (then a second
    ///   one is not written).
    private func make(_ type: OutboundEventType, subject: String, once: Bool, at now: Date, data: some Encodable) -> OutboundEvent {
        let body = Envelope(type: type, timestamp: now, data: data)
        // The values are the gateway's own records; encoding them cannot fail.
        let payload = (try? Self.encoder.encode(body)) ?? Data("{}".utf8)
        return OutboundEvent(
            id: Self.newID(), type: type, subject: subject, dedupKey: once ? "\(type.rawValue):\(subject)" : nil, occurredAt: now, payload: payload)
    }

    /// A new event id: `evt_` and 128 random bits in hex (no `.`, as `webhook-id` requires).
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return "evt_" + (0..<16).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()
}

// MARK: Bodies

private struct Envelope<Body: Encodable>: Encodable {
    var type: OutboundEventType
    var timestamp: Date
    var data: Body
}

/// A referral as the admin API shows it, with its status when the event happened.
private struct ReferralData: Encodable {
    var referral: Referral
    var status: Referral.Status

    func encode(to encoder: any Encoder) throws {
        try referral.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
    }

    enum CodingKeys: String, CodingKey { case status }
}

private struct SubmissionData: Encodable { var submission: ReferralSubmission }
private struct SignedData: Encodable {
    var referral: ReferralData
    var contract: Contract
}
private struct LostData: Encodable { var referral: ReferralData }
private struct ExpiredData: Encodable {
    var referral: ReferralData
    var expiredAt: Date
    enum CodingKeys: String, CodingKey {
        case referral
        case expiredAt = "expired_at"
    }
}
private struct AccrualData: Encodable { var accrual: AccrualView }
private struct ClawbackData: Encodable {
    var accrual: AccrualView
    var reason: String
    var previousAmount: Money?
    enum CodingKeys: String, CodingKey {
        case accrual, reason
        case previousAmount = "previous_amount"
    }
}
private struct PayoutData: Encodable { var payout: Payout }
private struct DeliveryData: Encodable { var delivery: SettledDelivery }
private struct SilenceData: Encodable { var silence: SourceSilence }
