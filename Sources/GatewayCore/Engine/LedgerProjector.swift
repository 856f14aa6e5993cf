import Foundation

/// Computes the ledger from the program and the stored business events, as a pure function.
///
/// Events are read in the order they happened at the vendor (not the order they arrived), so a
/// payment that arrived before its referral was registered, or a refund that arrived before its
/// payment, gives the same lines as the other way round; rebuilding from scratch gives the same
/// lines as processing one delivery at a time. Reconciling the result with what is already stored
/// (and paid) is `AccrualReconciler`'s job.
public struct LedgerProjector: Sendable {
    /// Plan months, hold days and cap years are counted on the UTC Gregorian calendar.
    private let calendar: Calendar

    public init() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        self.calendar = calendar
    }

    public func project(_ events: [RecordedEvent], program: ProgramSnapshot) -> LedgerProjection {
        var run = Run(program: program, calendar: calendar)
        run.bind(Self.ordered(events))
        run.accrue()
        return LedgerProjection(
            contracts: run.contracts.values.sorted { $0.referralID < $1.referralID }, lines: run.lines.sorted { $0.key < $1.key },
            conflicts: run.conflicts, explanations: run.explanations)
    }

    /// One event per business key (the earliest delivery carries it), in vendor time, ties broken
    /// by content so the order never depends on arrival.
    static func ordered(_ events: [RecordedEvent]) -> [RecordedEvent] {
        // Keys and dates are computed once per event, not in every comparison.
        var byKey: [String: (RecordedEvent, Date)] = [:]
        for recorded in events {
            let key = recorded.event.businessKey
            if let kept = byKey[key], kept.0.delivery <= recorded.delivery { continue }
            byKey[key] = (recorded, recorded.event.occurredAt ?? .distantPast)
        }
        return byKey.sorted { lhs, rhs in lhs.value.1 != rhs.value.1 ? lhs.value.1 < rhs.value.1 : lhs.key < rhs.key }.map(\.value.0)
    }
}

/// The state of one projection while it runs.
private struct Run {
    let program: ProgramSnapshot
    let calendar: Calendar

    /// customer key → the referrals it belongs to, with their shares.
    var bindings: [String: [(ReferralID, Int)]] = [:]
    var contracts: [ReferralID: ProjectedContract] = [:]
    /// Events attributed to each referral, in order, with the referral's share of the customer.
    var attributed: [ReferralID: [(RecordedEvent, share: Int, of: Int)]] = [:]
    var lines: [AccrualLine] = []
    var conflicts: [AttributionConflict] = []
    /// When each customer first paid or signed anything: a referral introduced after that is
    /// for a company that was already a client.
    var firstActive: [String: Date] = [:]
    var explanations: [String: String] = [:]

    /// Match key → positions in `program.referrals` of the referrals offering it, built once so a
    /// customer's claims are found without rebuilding every referral's keys.
    let referralsByKey: [String: [Int]]

    init(program: ProgramSnapshot, calendar: Calendar) {
        self.program = program
        self.calendar = calendar
        var index: [String: [Int]] = [:]
        for (position, referral) in program.referrals.enumerated() {
            for key in Set(referral.matchKeys.map(\.storageKey)) { index[key, default: []].append(position) }
        }
        referralsByKey = index
    }

    var referralsByID: [ReferralID: Referral] { Dictionary(program.referrals.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }) }

    // MARK: Attribution

    mutating func bind(_ events: [RecordedEvent]) {
        let referrals = referralsByID
        for recorded in events {
            let event = recorded.event
            guard let customer = event.customer ?? cancelledCustomer(event) else {
                explanations[event.businessKey] = "\(event.kind.rawValue) names no customer"
                continue
            }
            let customerKey = ReferralMatchKey.vendor(source: customer.source, id: customer.id).storageKey
            let date = event.occurredAt ?? .distantPast
            if event.startsContract, firstActive[customerKey] == nil { firstActive[customerKey] = date }
            if bindings[customerKey] == nil, let claims = claims(for: customer, key: customerKey, at: date, explaining: event.businessKey) {
                bindings[customerKey] = claims
            }
            guard let claims = bindings[customerKey] else { continue }
            let total = claims.map(\.1).reduce(0, +)
            for (referralID, share) in claims {
                guard let referral = referrals[referralID] else { continue }
                attributed[referralID, default: []].append((recorded, share, total))
                if contracts[referralID] == nil, event.startsContract {
                    let window = version(of: referral.planID, at: referral.introducedAt)?.attributionWindowDays ?? PlanVersion.defaultAttributionWindowDays
                    guard date <= day(referral.introducedAt, plus: window) else {
                        explanations[event.businessKey] = "referral \(referralID) matched, but its \(window)-day attribution window had ended before the contract started"
                        continue
                    }
                    contracts[referralID] = ProjectedContract(
                        referralID: referralID, partnerID: referral.partnerID, planID: referral.planID, customer: customer, startedAt: date,
                        startedBy: recorded.delivery, endedAt: nil, monthlyValue: nil)
                }
                if case .agreementCancelled(let cancelled) = event, var contract = contracts[referralID], contract.endedAt == nil {
                    contract.endedAt = cancelled.endDate ?? date
                    contracts[referralID] = contract
                }
                if case .agreementCreated(let agreement) = event, var contract = contracts[referralID], contract.monthlyValue == nil {
                    contract.monthlyValue = agreement.monthlyAmount
                    contracts[referralID] = contract
                }
            }
            let names = claims.map { "referral \($0.0)" }.joined(separator: " and ")
            explanations[event.businessKey] = explanations[event.businessKey] ?? "attributed to \(names)"
        }
    }

    /// A deletion names no customer; an agreement it cancels is found by its id among the others.
    private func cancelledCustomer(_ event: BusinessEvent) -> CustomerReference? {
        guard case .agreementCancelled(let cancelled) = event else { return nil }
        for (_, events) in attributed {
            for (recorded, _, _) in events {
                if case .agreementCreated(let created) = recorded.event, created.agreementID == cancelled.agreementID,
                    created.customer.source == cancelled.source
                {
                    return created.customer
                }
            }
        }
        return nil
    }

    /// The referrals a customer belongs to, decided by its first event: an admin's override, else
    /// the valid claims (matching key, inside the window, not lost, not the partner itself) settled
    /// by the program's conflict rule. Losing claims are recorded.
    private mutating func claims(for customer: CustomerReference, key customerKey: String, at date: Date, explaining businessKey: String)
        -> [(ReferralID, Int)]?
    {
        if let override = program.overrides.last(where: { $0.customerKey == customerKey }) {
            explanations[businessKey] = "attributed to referral \(override.referralID) by an admin override: \(override.reason)"
            return [(override.referralID, 1)]
        }
        let candidates = Set(ReferralMatchKey.candidates(for: customer).map(\.storageKey))
        let customerKeys = candidates
        var valid: [Referral] = []
        var reasons: [String] = []
        let matching = Set(candidates.flatMap { referralsByKey[$0] ?? [] }).sorted().map { program.referrals[$0] }
        for referral in matching {
            if let partner = program.partners[referral.partnerID], !partner.ownKeys.isDisjoint(with: customerKeys) {
                conflicts.append(
                    AttributionConflict(customerKey: customerKey, referralID: referral.id, winner: nil, reason: "self-referral: the customer is the partner itself"))
                reasons.append("referral \(referral.id) is a self-referral")
                continue
            }
            let window = version(of: referral.planID, at: referral.introducedAt)?.attributionWindowDays ?? PlanVersion.defaultAttributionWindowDays
            if let active = firstActive[customerKey], active < referral.introducedAt {
                reasons.append("referral \(referral.id) was introduced after this customer's first event (already a client)")
                conflicts.append(
                    AttributionConflict(
                        customerKey: customerKey, referralID: referral.id, winner: nil,
                        reason: "the customer was already a client on \(active.formatted(.iso8601)), before the introduction"))
                continue
            }
            if date > day(referral.introducedAt, plus: window) {
                reasons.append("referral \(referral.id)'s \(window)-day attribution window had ended")
                continue
            }
            if let lostAt = referral.lostAt, lostAt <= date {
                reasons.append("referral \(referral.id) was marked lost")
                continue
            }
            valid.append(referral)
        }
        guard !valid.isEmpty else {
            explanations[businessKey] = reasons.isEmpty ? "no referral matches customer \(customer.source) \(customer.id)" : reasons.joined(separator: "; ")
            return nil
        }
        let ordered = valid.sorted { ($0.introducedAt, $0.id) < ($1.introducedAt, $1.id) }
        let winners: [Referral]
        switch program.settings.conflictRule {
        case .firstValidClaim: winners = [ordered.first!]
        case .lastClaim: winners = [ordered.last!]
        case .split: winners = ordered
        }
        let winnerIDs = Set(winners.map(\.id))
        for loser in ordered where !winnerIDs.contains(loser.id) {
            conflicts.append(
                AttributionConflict(
                    customerKey: customerKey, referralID: loser.id, winner: winners.first?.id,
                    reason: "\(program.settings.conflictRule.rawValue): referral \(winners.first!.id) claims this company"))
        }
        return winners.map { ($0.id, $0.claimShare) }
    }

    // MARK: Accrual

    mutating func accrue() {
        let referrals = referralsByID
        // Partners' contract starts, for first-referral bonuses and tiers.
        var starts: [PartnerID: [(Date, ReferralID)]] = [:]
        for contract in contracts.values {
            starts[contract.partnerID, default: []].append((contract.startedAt, contract.referralID))
        }
        for (partner, list) in starts { starts[partner] = list.sorted { ($0.0, $0.1) < ($1.0, $1.1) } }

        for referral in program.referrals {
            guard let partner = program.partners[referral.partnerID] else { continue }
            var referralLines: [AccrualLine] = []
            if let qualifiedAt = referral.qualifiedAt, referral.lostAt.map({ $0 > qualifiedAt }) ?? true,
                let version = version(of: referral.planID, at: qualifiedAt)
            {
                for case .qualifiedMeeting(let amount) in version.rules {
                    referralLines.append(
                        flat(amount, rule: "qualified_meeting", referral: referral, version: version, at: qualifiedAt, delivery: nil,
                            businessKey: "referral:\(referral.id):qualified", note: "qualified meeting on \(qualifiedAt.formatted(.iso8601))"))
                }
            }
            if var contract = contracts[referral.id] {
                let events = attributed[referral.id] ?? []
                if contract.monthlyValue == nil {
                    for (recorded, _, _) in events {
                        guard case .invoicePaid(let paid) = recorded.event else { continue }
                        contract.monthlyValue = paid.recurringAmount(excludingOneTimeLines: true)
                        break
                    }
                    contracts[referral.id] = contract
                }
                let fraction = events.first(where: { $0.0.event.startsContract }).map { ($0.share, $0.of) } ?? (1, 1)
                if let version = version(of: referral.planID, at: contract.startedAt) {
                    let isFirst = starts[partner.id]?.first?.1 == referral.id
                    referralLines += startLines(contract, referral: referral, version: version, firstContract: isFirst, fraction: fraction)
                }
                let reversals = Reversals(events.map(\.0.event))
                for (recorded, share, total) in events {
                    guard case .invoicePaid(let paid) = recorded.event else { continue }
                    referralLines += paymentLines(
                        paid, recorded: recorded, contract: contract, referral: referral, share: (share, total), conversions: starts[partner.id] ?? [],
                        reversals: reversals)
                }
            }
            if partner.payoutForm == .reciprocalOnly {
                let dropped = referralLines.filter { $0.beneficiary == .partner }
                referralLines.removeAll { $0.beneficiary == .partner }
                for line in dropped {
                    explanations[line.businessKey] = (explanations[line.businessKey].map { $0 + "; " } ?? "")
                        + "partner \(partner.id) is reciprocal only: no fee"
                }
            }
            lines += referralLines
        }
        applyCaps(referrals: referrals)
        for index in lines.indices {
            lines[index].needsApproval = lines[index].amount.minorUnits > 0 && program.settings.needsApproval(lines[index].amount)
        }
        for line in lines.sorted(by: { $0.key < $1.key }) {
            let accrued = "accrued \(line.amount) (\(line.rule)\(line.beneficiary == .referredClient ? ", client credit" : ""))"
            explanations[line.businessKey] = explanations[line.businessKey].map { "\($0); \(accrued)" } ?? accrued
        }
    }

    private func startLines(
        _ contract: ProjectedContract, referral: Referral, version: PlanVersion, firstContract: Bool, fraction: (Int, Int)
    ) -> [AccrualLine] {
        var result: [AccrualLine] = []
        let key = "referral:\(referral.id):contract"
        let note = fraction.0 != fraction.1 ? " (share \(Self.fraction(fraction)))" : ""
        for rule in version.rules {
            switch rule {
            case .finderFee(let amount):
                result.append(
                    flat(scaled(amount, fraction), rule: rule.name, referral: referral, version: version, at: contract.startedAt,
                        delivery: contract.startedBy, businessKey: key, note: "finder's fee at signing" + note))
            case .firstReferralBonus(let amount) where firstContract:
                result.append(
                    flat(scaled(amount, fraction), rule: rule.name, referral: referral, version: version, at: contract.startedAt,
                        delivery: contract.startedBy, businessKey: key, note: "the partner's first converted referral" + note))
            case .clientCredit(let amount):
                var line = flat(
                    amount, rule: rule.name, referral: referral, version: version, at: contract.startedAt, delivery: contract.startedBy,
                    businessKey: key, note: "credit for the referred client \(contract.customer.name ?? contract.customer.id)")
                line.beneficiary = .referredClient
                result.append(line)
            case .firstYearValue(let rate):
                guard let monthly = contract.monthlyValue else { continue }
                let basis = Money(minorUnits: monthly.minorUnits * 12, currency: monthly.currency)
                let amount = scaled(basis.share(rate), fraction)
                result.append(
                    AccrualLine(
                        key: "\(key)|\(rule.name)|referral:\(referral.id)", partnerID: referral.partnerID, referralID: referral.id,
                        sourceDelivery: contract.startedBy, businessKey: key, rule: rule.name, planID: referral.planID,
                        planVersion: version.version, basis: basis, rate: rate, amount: amount, earnedAt: contract.startedAt,
                        holdUntil: day(contract.startedAt, plus: version.holdDays),
                        note: "\(rate) of first-year value 12 × \(monthly)" + note))
            case .recurringShare, .qualifiedMeeting, .firstReferralBonus:
                continue
            }
        }
        return result
    }

    private mutating func paymentLines(
        _ paid: InvoicePaid, recorded: RecordedEvent, contract: ProjectedContract, referral: Referral, share: (Int, Int),
        conversions: [(Date, ReferralID)], reversals: Reversals
    ) -> [AccrualLine] {
        let businessKey = recorded.event.businessKey
        guard paid.paidAt >= contract.startedAt else { return [] }
        if let ended = contract.endedAt, paid.paidAt > ended {
            explanations[businessKey] = "attributed to referral \(referral.id); paid after its agreement ended on \(ended.formatted(.iso8601)): no recurring share"
            return []
        }
        guard let version = version(of: referral.planID, at: paid.paidAt) else { return [] }
        var result: [AccrualLine] = []
        for case .recurringShare(let steps) in version.rules {
            let elapsed = calendar.dateComponents([.month], from: contract.startedAt, to: paid.paidAt).month ?? 0
            guard let (step, stepNote) = Self.step(for: elapsed, in: steps) else {
                explanations[businessKey] = "attributed to referral \(referral.id); past the plan's recurring months: no recurring share"
                continue
            }
            var rate = step.rate
            var notes = [stepNote]
            // The partner's conversions in the 12 months to this payment; counted only for a plan
            // with tiers, and with the window's start worked out once, not per conversion.
            let recent: Int
            if version.tiers.isEmpty {
                recent = 0
            } else {
                let yearBefore = month(paid.paidAt, plus: -12)
                recent = conversions.count { $0.0 <= paid.paidAt && $0.0 > yearBefore }
            }
            if let tier = version.tiers.filter({ recent >= $0.minConversions }).max(by: { $0.minConversions < $1.minConversions }) {
                rate = BasisPoints(rate.value + tier.bonus.value)
                notes.append("tier bonus \(tier.bonus) for \(recent) conversions in 12 months")
            }
            var basis = paid.recurringAmount(excludingOneTimeLines: version.excludeOneTimeLines)
            if basis != paid.amountPaid { notes.append("one-time lines excluded") }
            let reversed = reversals.amount(of: paid)
            if reversed > 0 {
                let remaining = max(0, paid.amountPaid.minorUnits - reversed)
                basis = basis.prorated(remaining, of: paid.amountPaid.minorUnits)
                notes.append("reduced pro rata: \(Money(minorUnits: reversed, currency: paid.amountPaid.currency)) refunded, credited or voided")
            }
            var amount = basis.share(rate)
            if share.0 != share.1 {
                amount = scaled(amount, share)
                notes.append("split share \(Self.fraction(share))")
            }
            result.append(
                AccrualLine(
                    key: "\(businessKey)|\(CommissionRule.recurringShare(steps: steps).name)|referral:\(referral.id)", partnerID: referral.partnerID,
                    referralID: referral.id, sourceDelivery: recorded.delivery, businessKey: businessKey, rule: "recurring_share",
                    planID: referral.planID, planVersion: version.version, basis: basis, rate: rate, amount: amount, earnedAt: paid.paidAt,
                    holdUntil: day(paid.paidAt, plus: version.holdDays), note: notes.joined(separator: "; ")))
        }
        return result
    }

    /// The step in force `elapsed` whole months after the contract started.
    static func step(for elapsed: Int, in steps: [RateStep]) -> (RateStep, String)? {
        var start = 0
        for (index, step) in steps.enumerated() {
            guard let months = step.months else { return (step, "step \(index + 1): \(step.rate) for the life of the contract") }
            if elapsed < start + months { return (step, "step \(index + 1): \(step.rate), months \(start + 1)–\(start + months)") }
            start += months
        }
        return nil
    }

    /// Caps per referral and per partner per calendar year, applied in the order lines were
    /// earned; client credits are not partner earnings and are not capped.
    private mutating func applyCaps(referrals: [ReferralID: Referral]) {
        let order = lines.indices.sorted { (lines[$0].earnedAt, lines[$0].key) < (lines[$1].earnedAt, lines[$1].key) }
        var perReferral: [String: Int64] = [:]
        var perPartnerYear: [String: Int64] = [:]
        for index in order where lines[index].beneficiary == .partner {
            let line = lines[index]
            guard let version = version(of: line.planID, at: line.earnedAt) else { continue }
            var amount = line.amount.minorUnits
            let currency = line.amount.currency
            let referralKey = "\(line.referralID):\(currency)"
            let year = calendar.component(.year, from: line.earnedAt)
            let partnerKey = "\(line.partnerID):\(year):\(currency)"
            var notes: [String] = []
            if let cap = version.capPerReferral, cap.currency == currency {
                let room = max(0, cap.minorUnits - perReferral[referralKey, default: 0])
                if amount > room {
                    amount = room
                    notes.append("capped at \(cap) per referral")
                }
            }
            if let cap = version.capPerPartnerPerYear, cap.currency == currency {
                let room = max(0, cap.minorUnits - perPartnerYear[partnerKey, default: 0])
                if amount > room {
                    amount = room
                    notes.append("capped at \(cap) per partner in \(year)")
                }
            }
            perReferral[referralKey, default: 0] += amount
            perPartnerYear[partnerKey, default: 0] += amount
            if !notes.isEmpty {
                lines[index].amount = Money(minorUnits: amount, currency: currency)
                lines[index].note += (lines[index].note.isEmpty ? "" : "; ") + notes.joined(separator: "; ")
            }
        }
    }

    // MARK: Helpers

    private func flat(
        _ amount: Money, rule: String, referral: Referral, version: PlanVersion, at date: Date, delivery: DeliveryID?, businessKey: String,
        note: String
    ) -> AccrualLine {
        AccrualLine(
            key: "\(businessKey)|\(rule)|referral:\(referral.id)", partnerID: referral.partnerID, referralID: referral.id,
            sourceDelivery: delivery, businessKey: businessKey, rule: rule, planID: referral.planID, planVersion: version.version, basis: nil,
            rate: nil, amount: amount, earnedAt: date, holdUntil: day(date, plus: version.holdDays), note: note)
    }

    private func version(of plan: PlanID, at date: Date) -> PlanVersion? {
        PlanVersion.governing(at: date, among: program.plans[plan] ?? [])
    }

    /// A claim's part of the whole in lowest terms: `2/3` for weights of 20 000 out of 30 000.
    static func fraction(_ fraction: (Int, Int)) -> String {
        var (a, b) = (fraction.0, fraction.1)
        while b != 0 { (a, b) = (b, a % b) }
        let divisor = max(1, a)
        return "\(fraction.0 / divisor)/\(fraction.1 / divisor)"
    }

    /// `amount × share / total`, rounded half away from zero.
    private func scaled(_ amount: Money, _ fraction: (Int, Int)) -> Money {
        guard fraction.0 != fraction.1 else { return amount }
        // Weights come from stored referrals; a zero total would divide by nothing: nothing is due.
        guard fraction.1 > 0 else { return Money.zero(amount.currency) }
        return amount.prorated(Int64(fraction.0), of: Int64(fraction.1))
    }

    private func day(_ date: Date, plus days: Int) -> Date {
        calendar.date(byAdding: .day, value: days, to: date)!
    }

    private func month(_ date: Date, plus months: Int) -> Date {
        calendar.date(byAdding: .month, value: months, to: date)!
    }
}

/// The credits and voids among a referral's events, by invoice, so each payment finds what was
/// taken back from it without reading every other event.
private struct Reversals {
    var credits: [String: [Money]] = [:]
    var voids: [String: [InvoiceVoided]] = [:]

    init(_ events: [BusinessEvent]) {
        for event in events {
            switch event {
            case .creditIssued(let credit): if let invoice = credit.invoiceID { credits[invoice, default: []].append(credit.amount) }
            case .invoiceVoided(let void): voids[void.invoiceID, default: []].append(void)
            default: continue
            }
        }
    }

    /// What was taken back from a payment: credits and refunds against its invoice, and a void
    /// of the invoice (or of this payment) as the whole amount.
    func amount(of paid: InvoicePaid) -> Int64 {
        if voids[paid.invoiceID, default: []].contains(where: { $0.paymentID == nil || $0.paymentID == paid.paymentID }) {
            return paid.amountPaid.minorUnits
        }
        // A negative credit gives back what an earlier one took (a dispute's reinstated funds);
        // whatever the order they arrive in, no more than was paid and never less than nothing.
        let credited = credits[paid.invoiceID, default: []].filter { $0.currency == paid.amountPaid.currency }.reduce(Int64(0)) { $0 + $1.minorUnits }
        return max(0, min(credited, paid.amountPaid.minorUnits))
    }
}

extension BusinessEvent {
    /// Whether the event can start a referral's contract: an agreement, a signing, a payment.
    var startsContract: Bool {
        switch self {
        case .agreementCreated, .clientSigned, .invoicePaid: true
        default: false
        }
    }
}
