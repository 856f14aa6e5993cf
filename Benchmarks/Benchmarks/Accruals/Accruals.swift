import Benchmark
import Foundation
import GatewayCore

/// A month of accruals as the processor computes them: the pure `LedgerProjector` over every
/// event of the referred customers, then `AccrualReconciler` against the lines already stored.
/// Inputs: 20 partners, two plans (one with a rate change half-way through the year), 200
/// referred customers (100 and 400 too, for month 1) paying monthly by Stripe invoice, a few
/// credit notes and a few competing claims. See `LedgerInputs` for the exact shape.
let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident], maxDuration: .seconds(3))
    let projector = LedgerProjector()

    // The first month: every contract starts. 200 customers is the reference; 100 and 400 show
    // how the cost grows with the number of referred customers.
    for customers in [100, 200, 400] {
        let inputs = LedgerInputs(customers: customers, partners: 20)
        let program = inputs.program
        let firstMonth = inputs.events(months: 0..<1)
        precondition(projector.project(firstMonth, program: program).contracts.count == customers, "every customer should have a contract")
        Benchmark("Accrue month 1 of \(customers) referred customers: project + reconcile", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                let projection = projector.project(firstMonth, program: program)
                blackHole(AccrualReconciler.changes(projected: projection.lines, existing: []))
            }
        }
    }

    // The twelfth month: the projection reads the whole year back (the store passes every event
    // of the referred customers) and is reconciled with eleven months of stored lines, those
    // past their hold already paid.
    let inputs = LedgerInputs(customers: 200, partners: 20)
    let program = inputs.program
    let year = inputs.events(months: 0..<12)
    let stored = inputs.storedLedger(after: 0..<11, projector: projector)
    let monthTwelve = projector.project(year, program: program)
    let changes = AccrualReconciler.changes(projected: monthTwelve.lines, existing: stored)
    precondition(monthTwelve.contracts.count == 200, "every referred customer should have a contract")
    precondition(!changes.isEmpty && changes.allSatisfy { if case .create = $0 { true } else { false } }, "month 12 should only add lines")

    Benchmark("Accrue month 12 of 200 referred customers: project + reconcile", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            let projection = projector.project(year, program: program)
            blackHole(AccrualReconciler.changes(projected: projection.lines, existing: stored))
        }
    }

    Benchmark("Accrue month 12 of 200 referred customers: project only", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(projector.project(year, program: program))
        }
    }

    Benchmark("Accrue month 12 of 200 referred customers: reconcile only", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(AccrualReconciler.changes(projected: monthTwelve.lines, existing: stored))
        }
    }

    // Sizes of the inputs and outputs, for BENCHMARKS.md: `BENCHMARK_SIZES=1 .build/release/Accruals`.
    if ProcessInfo.processInfo.environment["BENCHMARK_SIZES"] != nil {
        print("month 12: \(year.count) events, \(monthTwelve.lines.count) projected lines, \(stored.count) stored (\(stored.filter { $0.state == .paid }.count) paid), \(changes.count) changes")
        for customers in [100, 200, 400] {
            let inputs = LedgerInputs(customers: customers, partners: 20)
            let projection = projector.project(inputs.events(months: 0..<1), program: inputs.program)
            print("month 1 of \(customers): \(inputs.program.referrals.count) referrals, \(projection.lines.count) lines, \(projection.conflicts.count) conflicts")
        }
    }
}

/// A year of a referral program, built the way an MSP would set it up.
struct LedgerInputs {
    let customers: Int
    let partners: Int
    let program: ProgramSnapshot

    static let usd = CurrencyCode("USD")!
    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
    /// The first invoice month.
    static let start = date(2025, 1, 1)

    static func date(_ year: Int, _ month: Int, _ day: Int, hour: Int = 0) -> Date {
        calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour))!
    }

    static func dollars(_ amount: Int64) -> Money { Money(minorUnits: amount * 100, currency: usd) }

    static func month(_ index: Int, day: Int = 1, hour: Int = 0) -> Date {
        let first = calendar.date(byAdding: .month, value: index, to: start)!
        return calendar.date(byAdding: DateComponents(day: day - 1, hour: hour), to: first)!
    }

    init(customers: Int, partners: Int) {
        self.customers = customers
        self.partners = partners
        let epoch = Self.date(2024, 1, 1)
        let kinds = Partner.Kind.allCases
        let partnerList = (1...partners).map { id in
            let kind = kinds[(id - 1) % kinds.count]
            let payout: Partner.PayoutForm = kind == .client ? .accountCredit : (id == 7 ? .reciprocalOnly : .cash)
            return Partner(
                id: PartnerID(Int64(id)), name: "Partner \(id)", kind: kind, specialty: kind == .centerOfInfluence ? .accountant : nil,
                payoutForm: payout, email: "owner@partner\(id).example", domains: ["partner\(id).example"], createdAt: epoch)
        }
        // Plan 1: 10 % of collected revenue for 12 months then 5 % for life, a $250 finder's fee,
        // +2 % once a partner has 5 conversions, $25,000 a year at most; from July, 12 % then 5 %.
        // Plan 2: 10 % of first-year value at signing, $100 per qualified meeting, $200 credit for
        // the referred client, held 60 days.
        let tiers = [PerformanceTier(minConversions: 5, bonus: BasisPoints(200))]
        let plans: [PlanID: [PlanVersion]] = [
            PlanID(1): [
                PlanVersion(
                    planID: PlanID(1), version: 1, terms: PlanTerms(effectiveFrom: epoch,
                    rules: [.recurringShare(steps: [RateStep(months: 12, rate: BasisPoints(1000)), RateStep(months: nil, rate: BasisPoints(500))]),
                        .finderFee(Self.dollars(250))],
                    holdDays: 30, attributionWindowDays: 90, tiers: tiers, capPerPartnerPerYear: Self.dollars(25_000))),
                PlanVersion(
                    planID: PlanID(1), version: 2, terms: PlanTerms(effectiveFrom: Self.month(6),
                    rules: [.recurringShare(steps: [RateStep(months: 12, rate: BasisPoints(1200)), RateStep(months: nil, rate: BasisPoints(500))]),
                        .finderFee(Self.dollars(250))],
                    holdDays: 30, attributionWindowDays: 90, tiers: tiers, capPerPartnerPerYear: Self.dollars(25_000))),
            ],
            PlanID(2): [
                PlanVersion(
                    planID: PlanID(2), version: 1, terms: PlanTerms(effectiveFrom: epoch,
                    rules: [.firstYearValue(rate: BasisPoints(1000)), .qualifiedMeeting(Self.dollars(100)), .clientCredit(Self.dollars(200))],
                    holdDays: 60, attributionWindowDays: 90)),
            ],
        ]
        // One referral per customer, matched by Stripe customer id (even) or by domain (odd),
        // introduced in the month before the first invoice; every 25th customer also has a later
        // competing claim from another partner, which loses under the first-valid-claim rule.
        var referrals: [Referral] = []
        for customer in 0..<customers {
            let plan = customer % 4 == 3 ? 2 : 1
            let introduced = Self.date(2024, 12, 1 + customer % 30)
            referrals.append(
                Referral(
                    id: ReferralID(Int64(customer + 1)), partnerID: PartnerID(Int64(customer % partners + 1)), planID: PlanID(Int64(plan)),
                    prospectName: "Client \(customer)", domains: customer % 2 == 1 ? ["client\(customer).example"] : [],
                    contactEmails: ["it@client\(customer).example"], vendorIDs: customer % 2 == 0 ? ["stripe": Self.customerID(customer)] : [:],
                    introducedAt: introduced, qualifiedAt: plan == 2 ? introduced.addingTimeInterval(7 * 86_400) : nil))
            if customer % 25 == 0 {
                referrals.append(
                    Referral(
                        id: ReferralID(Int64(10_000 + customer)), partnerID: PartnerID(Int64((customer + 3) % partners + 1)), planID: PlanID(1),
                        prospectName: "Client \(customer) Inc.", domains: ["client\(customer).example"],
                        introducedAt: introduced.addingTimeInterval(5 * 86_400)))
            }
        }
        self.program = ProgramSnapshot(
            partners: partnerList, referrals: referrals, plans: plans, settings: ProgramSettings(approvalThresholds: ["USD": 100_000]))
    }

    static func customerID(_ customer: Int) -> String { "cus_Ref\(String(customer, radix: 36).uppercased())q8vD3kLm" }

    /// Each customer's monthly invoices in `months` (a $199 to $2,399 subscription, plus a $500
    /// one-time setup line on every fifth customer's first invoice), and a $50 credit note
    /// against the fourth invoice of every 40th customer, as Stripe adapters map them.
    func events(months: Range<Int>) -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        var delivery: Int64 = 1
        for month in months {
            for customer in 0..<customers {
                let reference = CustomerReference(
                    source: "stripe", id: Self.customerID(customer), email: "billing@client\(customer).example", name: "Client \(customer)")
                let recurring = Int64(19_900 + (customer * 7_919 % 23) * 10_000)
                let setup: Int64 = month == 0 && customer % 5 == 0 ? 50_000 : 0
                var lines = [InvoicePaid.Line(amount: Money(minorUnits: recurring, currency: Self.usd), recurring: true, description: "Managed IT")]
                if setup > 0 { lines.append(InvoicePaid.Line(amount: Money(minorUnits: setup, currency: Self.usd), recurring: false, description: "Onboarding")) }
                let paidAt = Self.month(month, day: 1 + customer % 27, hour: 9)
                let invoice = "in_\(customer)_\(month)"
                events.append(
                    RecordedEvent(
                        .invoicePaid(
                            InvoicePaid(
                                invoiceID: invoice, customer: reference, subscriptionID: "sub_\(customer)",
                                amountPaid: Money(minorUnits: recurring + setup, currency: Self.usd), paidAt: paidAt,
                                periodStart: Self.month(month), periodEnd: Self.month(month + 1), lines: lines)),
                        delivery: DeliveryID(delivery)))
                delivery += 1
                if month == 3, customer % 40 == 0 {
                    events.append(
                        RecordedEvent(
                            .creditIssued(
                                CreditIssued(
                                    creditID: "cn_\(customer)_\(month)", invoiceID: invoice, customer: reference, amount: Self.dollars(50),
                                    issuedAt: paidAt.addingTimeInterval(3 * 86_400))),
                            delivery: DeliveryID(delivery)))
                    delivery += 1
                }
            }
        }
        return events
    }

    /// The ledger as stored after processing `months`: every projected line created, and the
    /// lines whose hold had ended by the end of that period paid.
    func storedLedger(after months: Range<Int>, projector: LedgerProjector) -> [Accrual] {
        let projection = projector.project(events(months: months), program: program)
        let paidBefore = Self.month(months.upperBound)
        var stored: [Accrual] = []
        for case .create(let line) in AccrualReconciler.changes(projected: projection.lines, existing: []) {
            stored.append(
                Accrual(
                    id: AccrualID(Int64(stored.count + 1)), contractID: nil, line: line, state: line.holdUntil < paidBefore ? .paid : .open,
                    payoutID: line.holdUntil < paidBefore ? 1 : nil))
        }
        return stored
    }
}
