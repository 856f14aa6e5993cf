import Foundation

/// Turns a business event into ledger effects: which referral it belongs to, which contract, and
/// which accrual lines the plan in effect earns. Deterministic: the same event and program state
/// give the same effects, whenever and however often it runs.
public struct CommissionEngine: Sendable {
    /// Plan months and hold days are counted on the UTC Gregorian calendar.
    private let calendar: Calendar

    public init() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        self.calendar = calendar
    }

    /// The effects of `event`, carried by delivery `delivery`.
    public func effects(of event: BusinessEvent, delivery: DeliveryID, lookup: some LedgerLookup) throws -> LedgerEffects {
        switch event {
        case .invoicePaid(let paid):
            return try effects(of: paid, businessKey: event.businessKey, delivery: delivery, lookup: lookup)
        case .agreementCreated(let agreement):
            return try contractStart(
                customer: agreement.customer, at: agreement.startDate, by: "agreement \(agreement.agreementID)", delivery: delivery,
                lookup: lookup)
        case .clientSigned(let signed):
            return try contractStart(customer: signed.customer, at: signed.signedAt, by: "client signed", delivery: delivery, lookup: lookup)
        case .customerSeen(let seen):
            guard let match = try attribution(of: seen.customer, lookup: lookup) else {
                return .none("no referral matches customer \(seen.customer.source) \(seen.customer.id)")
            }
            let learned = learnedKeys(for: seen.customer, referral: match.referral)
            return LedgerEffects(
                referral: match.referral.id, learnedKeys: learned,
                explanation: "referral \(match.referral.id) matched by \(match.key.storageKey)"
                    + (learned.isEmpty ? "" : "; it now also answers to \(learned.map(\.storageKey).joined(separator: ", "))"))
        case .invoiceVoided, .creditIssued, .agreementCancelled:
            return .none("\(event.kind.rawValue) recorded; reversals and cancellations do not change accruals yet")
        }
    }

    private func effects(
        of paid: InvoicePaid, businessKey: String, delivery: DeliveryID, lookup: some LedgerLookup
    ) throws -> LedgerEffects {
        let resolution = try resolveContract(for: paid.customer, at: paid.paidAt, delivery: delivery, lookup: lookup)
        guard case .attributed(let match, let contract, let contractStart, let learned) = resolution else {
            return .none(resolution.explanation)
        }
        let referral = match.referral
        guard let version = PlanVersion.inEffect(at: paid.paidAt, among: try lookup.planVersions(of: referral.planID)) else {
            return LedgerEffects(
                contract: contract, referral: referral.id, learnedKeys: learned,
                explanation: "plan \(referral.planID) has no version in effect on \(paid.paidAt.formatted(.iso8601))")
        }

        var lines: [AccrualLine] = []
        var notes: [String] = []
        for (index, rule) in version.rules.enumerated() {
            switch rule {
            case .recurringShare(let rate, let months):
                if let months, paid.paidAt >= month(contractStart, plus: months) {
                    notes.append("\(rule.name): contract is past its first \(months) months")
                    continue
                }
                let key = "\(businessKey)|rule:\(index):\(rule.name)|partner:\(referral.partnerID)"
                if try lookup.accrualExists(key: key) {
                    notes.append("\(rule.name): already accrued for \(businessKey)")
                    continue
                }
                lines.append(
                    AccrualLine(
                        key: key, partnerID: referral.partnerID, sourceDelivery: delivery, businessKey: businessKey,
                        rule: rule.name, planID: referral.planID, planVersion: version.version, basis: paid.amountPaid,
                        rate: rate, amount: paid.amountPaid.share(rate), earnedAt: paid.paidAt,
                        holdUntil: day(paid.paidAt, plus: version.holdDays)))
            }
        }
        let summary =
            lines.isEmpty
            ? "referral \(referral.id) matched by \(match.key.storageKey); no accrual: \(notes.joined(separator: "; "))"
            : "referral \(referral.id) matched by \(match.key.storageKey); accrued \(lines.map { $0.amount.description }.joined(separator: ", "))"
        return LedgerEffects(contract: contract, accruals: lines, referral: referral.id, learnedKeys: learned, explanation: summary)
    }

    /// An agreement or a signing: starts the referral's contract when there is none yet.
    private func contractStart(
        customer: CustomerReference, at date: Date, by cause: String, delivery: DeliveryID, lookup: some LedgerLookup
    ) throws -> LedgerEffects {
        let resolution = try resolveContract(for: customer, at: date, delivery: delivery, lookup: lookup)
        guard case .attributed(let match, let contract, _, let learned) = resolution else {
            return .none(resolution.explanation)
        }
        let what: String
        switch contract {
        case .new: what = "\(cause) starts the referral's contract"
        case .existing(let existing): what = "\(cause); the referral's contract \(existing.id) already exists"
        }
        return LedgerEffects(
            contract: contract, referral: match.referral.id, learnedKeys: learned,
            explanation: "referral \(match.referral.id) matched by \(match.key.storageKey); \(what)")
    }

    /// How an event dated `date` relates to a referral's contract.
    private enum Resolution {
        case unattributed(String)
        case attributed(ReferralMatch, LedgerEffects.ContractChange, contractStart: Date, learned: [ReferralMatchKey])

        var explanation: String {
            switch self {
            case .unattributed(let reason): reason
            case .attributed(let match, _, _, _): "referral \(match.referral.id) matched by \(match.key.storageKey)"
            }
        }
    }

    private func resolveContract(
        for customer: CustomerReference, at date: Date, delivery: DeliveryID, lookup: some LedgerLookup
    ) throws -> Resolution {
        guard let match = try attribution(of: customer, lookup: lookup) else {
            return .unattributed("no referral matches customer \(customer.source) \(customer.id)")
        }
        let referral = match.referral
        let learned = learnedKeys(for: customer, referral: referral)
        if let existing = try lookup.contract(for: referral.id) {
            return .attributed(match, .existing(existing), contractStart: existing.startedAt, learned: learned)
        }
        let versions = try lookup.planVersions(of: referral.planID)
        guard let version = PlanVersion.inEffect(at: referral.introducedAt, among: versions) ?? versions.first else {
            return .unattributed("plan \(referral.planID) of referral \(referral.id) has no version")
        }
        let windowEnd = day(referral.introducedAt, plus: version.attributionWindowDays)
        guard date >= referral.introducedAt, date <= windowEnd else {
            return .unattributed(
                "referral \(referral.id) matched by \(match.key.storageKey), but \(date.formatted(.iso8601)) is outside its "
                    + "attribution window (\(referral.introducedAt.formatted(.iso8601)) + \(version.attributionWindowDays) days)")
        }
        let draft = ContractDraft(referral: referral, customer: customer, startedAt: date, createdByDelivery: delivery)
        return .attributed(match, .new(draft), contractStart: date, learned: learned)
    }

    /// The referral a customer belongs to: the strongest key wins, then the earliest introduction
    /// (first valid claim), then the lowest id, so the choice never depends on storage order.
    func attribution(of customer: CustomerReference, lookup: some LedgerLookup) throws -> ReferralMatch? {
        let matches = try lookup.referrals(matching: ReferralMatchKey.candidates(for: customer))
        return matches.min { lhs, rhs in
            (lhs.key.strength, lhs.referral.introducedAt, lhs.referral.id.rawValue)
                < (rhs.key.strength, rhs.referral.introducedAt, rhs.referral.id.rawValue)
        }
    }

    /// The vendor id a matched referral should answer to from now on, if it does not already.
    private func learnedKeys(for customer: CustomerReference, referral: Referral) -> [ReferralMatchKey] {
        referral.vendorIDs[customer.source] == nil ? [.vendor(source: customer.source, id: customer.id)] : []
    }

    private func day(_ date: Date, plus days: Int) -> Date {
        calendar.date(byAdding: .day, value: days, to: date)!
    }

    private func month(_ date: Date, plus months: Int) -> Date {
        calendar.date(byAdding: .month, value: months, to: date)!
    }
}
