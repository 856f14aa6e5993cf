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
            try effects(of: paid, businessKey: event.businessKey, delivery: delivery, lookup: lookup)
        }
    }

    private func effects(
        of paid: InvoicePaid, businessKey: String, delivery: DeliveryID, lookup: some LedgerLookup
    ) throws -> LedgerEffects {
        let customer = paid.customer
        guard let match = try attribution(of: customer, lookup: lookup) else {
            return .none("no referral matches customer \(customer.source) \(customer.id)")
        }
        let referral = match.referral
        let versions = try lookup.planVersions(of: referral.planID)

        let contract: LedgerEffects.ContractChange
        let contractStart: Date
        if let existing = try lookup.contract(for: referral.id) {
            contract = .existing(existing)
            contractStart = existing.startedAt
        } else {
            guard let version = PlanVersion.inEffect(at: referral.introducedAt, among: versions) ?? versions.first else {
                return .none("plan \(referral.planID) of referral \(referral.id) has no version")
            }
            let windowEnd = day(referral.introducedAt, plus: version.attributionWindowDays)
            guard paid.paidAt >= referral.introducedAt, paid.paidAt <= windowEnd else {
                return .none(
                    "referral \(referral.id) matched by \(match.key.storageKey), but the payment on "
                        + "\(paid.paidAt.formatted(.iso8601)) is outside its attribution window "
                        + "(\(referral.introducedAt.formatted(.iso8601)) + \(version.attributionWindowDays) days)")
            }
            contract = .new(ContractDraft(referral: referral, customer: customer, startedAt: paid.paidAt, createdByDelivery: delivery))
            contractStart = paid.paidAt
        }

        let learned = referral.vendorIDs[customer.source] == nil ? [ReferralMatchKey.vendor(source: customer.source, id: customer.id)] : []
        guard let version = PlanVersion.inEffect(at: paid.paidAt, among: versions) else {
            return LedgerEffects(
                contract: contract, learnedKeys: learned,
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
                let amount = paid.amountPaid.share(rate)
                lines.append(
                    AccrualLine(
                        key: key, partnerID: referral.partnerID, sourceDelivery: delivery, businessKey: businessKey,
                        rule: rule.name, planID: referral.planID, planVersion: version.version, basis: paid.amountPaid,
                        rate: rate, amount: amount, earnedAt: paid.paidAt, holdUntil: day(paid.paidAt, plus: version.holdDays)))
            }
        }
        let summary =
            lines.isEmpty
            ? "referral \(referral.id) matched by \(match.key.storageKey); no accrual: \(notes.joined(separator: "; "))"
            : "referral \(referral.id) matched by \(match.key.storageKey); accrued \(lines.map { $0.amount.description }.joined(separator: ", "))"
        return LedgerEffects(contract: contract, accruals: lines, learnedKeys: learned, explanation: summary)
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

    private func day(_ date: Date, plus days: Int) -> Date {
        calendar.date(byAdding: .day, value: days, to: date)!
    }

    private func month(_ date: Date, plus months: Int) -> Date {
        calendar.date(byAdding: .month, value: months, to: date)!
    }
}
