import Foundation
import GatewayCore
import GatewayTestSupport

/// A ledger kept in memory the way the store keeps it: events in, projection, reconciliation,
/// payouts. Engine tests run whole stories through it without a database.
final class LedgerHarness {
    var partners: [Partner] = []
    var referrals: [Referral] = []
    var plans: [PlanID: [PlanVersion]] = [:]
    var overrides: [AttributionOverride] = []
    var settings = ProgramSettings()
    var events: [RecordedEvent] = []
    var stored: [Accrual] = []
    private var nextAccrual: Int64 = 1
    private var nextDelivery: Int64 = 1
    let projector = LedgerProjector()

    static let usd = Events.usd
    static let epoch = Date(timeIntervalSince1970: 0)

    static func date(_ text: String) -> Date { Events.date(text) }

    static func usd(_ dollars: Decimal) -> Money { Events.usd(dollars) }

    @discardableResult
    func partner(_ id: Int64, _ name: String, kind: Partner.Kind = .centerOfInfluence, payout: Partner.PayoutForm = .cash, domains: [String] = [])
        -> PartnerID
    {
        partners.append(Partner(id: PartnerID(id), name: name, kind: kind, payoutForm: payout, domains: domains, createdAt: Self.epoch))
        return PartnerID(id)
    }

    func plan(_ id: Int64, _ rules: [CommissionRule], hold: Int = 30, window: Int = 60, from: Date = LedgerHarness.epoch, version: Int = 1,
        tiers: [PerformanceTier] = [], capPerReferral: Money? = nil, capPerPartnerPerYear: Money? = nil, excludeOneTime: Bool = true)
    {
        plans[PlanID(id), default: []].append(
            PlanVersion(
                planID: PlanID(id), version: version,
                terms: PlanTerms(
                    effectiveFrom: from, rules: rules, holdDays: hold, attributionWindowDays: window, tiers: tiers, capPerReferral: capPerReferral,
                    capPerPartnerPerYear: capPerPartnerPerYear, excludeOneTimeLines: excludeOneTime)))
    }

    @discardableResult
    func referral(
        _ id: Int64, partner: Int64, plan: Int64 = 1, name: String, domain: String? = nil, vendor: [String: String] = [:], code: String? = nil,
        introduced: String, share: Int = Referral.wholeClaim
    ) -> ReferralID {
        referrals.append(
            Referral(
                id: ReferralID(id), partnerID: PartnerID(partner), planID: PlanID(plan), prospectName: name, domains: domain.map { [$0] } ?? [],
                vendorIDs: vendor, referralCode: code, introducedAt: Self.date(introduced), claimShare: share))
        return ReferralID(id)
    }

    func paid(
        _ invoice: String, customer: String = "cus_bd", email: String? = "ap@brightdental.example", dollars: Decimal, on date: String,
        oneTime: Decimal? = nil, source: String = "stripe"
    ) -> BusinessEvent {
        Events.paid(invoice, customer: customer, email: email, dollars: dollars, on: date, oneTime: oneTime, source: source)
    }

    func agreement(_ id: String, customer: String = "250", name: String? = nil, monthly: Decimal, on date: String) -> BusinessEvent {
        Events.agreement(id, customer: customer, name: name, monthly: monthly, on: date)
    }

    func credit(_ id: String, invoice: String, customer: String = "cus_bd", dollars: Decimal, on date: String) -> BusinessEvent {
        Events.credit(id, invoice: invoice, customer: customer, dollars: dollars, on: date)
    }

    func void(_ invoice: String, customer: String = "cus_bd", on date: String) -> BusinessEvent {
        Events.void(invoice, customer: customer, on: date)
    }

    /// Stores events as deliveries and recomputes, as the processor does.
    @discardableResult
    func receive(_ new: BusinessEvent...) -> LedgerProjection {
        receive(all: new)
    }

    @discardableResult
    func receive(all new: [BusinessEvent]) -> LedgerProjection {
        for event in new {
            events.append(RecordedEvent(event, delivery: DeliveryID(nextDelivery)))
            nextDelivery += 1
        }
        return recompute()
    }

    var program: ProgramSnapshot {
        ProgramSnapshot(partners: partners, referrals: referrals, plans: plans, overrides: overrides, settings: settings)
    }

    /// Projects and reconciles, applying the changes like the store.
    @discardableResult
    func recompute() -> LedgerProjection {
        let projection = projector.project(events, program: program)
        for change in AccrualReconciler.changes(projected: projection.lines, existing: stored) {
            switch change {
            case .create(let line):
                stored.append(Accrual(id: AccrualID(nextAccrual), contractID: nil, line: line))
                nextAccrual += 1
            case .update(let id, let line):
                let index = stored.firstIndex { $0.id == id }!
                precondition(stored[index].state != .paid, "a paid line was edited")
                stored[index].line = line
                stored[index].state = .open
            case .void(let id, _):
                let index = stored.firstIndex { $0.id == id }!
                precondition(stored[index].state != .paid, "a paid line was voided")
                stored[index].state = .voided
            }
        }
        return projection
    }

    /// Pays every line payable on `date` (the store nets clawbacks per payee the same way).
    func payAll(on date: String) {
        let when = Self.date(date)
        for index in stored.indices where stored[index].status(at: when) == .payable {
            stored[index].state = .paid
            stored[index].payoutID = 1
        }
    }

    /// Open and paid lines (voided ones left out), by key.
    var live: [String: Accrual] {
        Dictionary(stored.filter { $0.state != .voided }.map { ($0.line.key, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Amounts of live lines in minor units, sorted by key.
    var amounts: [Int64] { live.values.sorted { $0.line.key < $1.line.key }.map(\.line.amount.minorUnits) }

    func total(partner: Int64) -> Int64 {
        stored.filter { $0.state != .voided && $0.line.partnerID == PartnerID(partner) && $0.line.beneficiary == .partner }
            .reduce(0) { $0 + $1.line.amount.minorUnits }
    }
}
