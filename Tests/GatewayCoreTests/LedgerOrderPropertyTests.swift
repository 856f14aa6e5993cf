import Foundation
import GatewayCore
import GatewayTestSupport
import Testing

/// Processing the same events in any order, one at a time, gives the ledger a rebuild from
/// scratch gives: a property checked on randomized streams.
@Suite struct LedgerOrderPropertyTests {
    typealias H = LedgerHarness

    func program(_ h: LedgerHarness) {
        h.settings.conflictRule = .split
        h.partner(1, "Acme Accounting")
        h.partner(2, "Harbor Law")
        h.partner(3, "Peer IT", kind: .peerMSP)
        h.plan(1, [.recurringShare(steps: [RateStep(months: 3, rate: BasisPoints(1000)), RateStep(months: nil, rate: BasisPoints(400))]),
            .finderFee(H.usd(150)), .firstReferralBonus(H.usd(50))], capPerReferral: H.usd(400))
        h.plan(2, [.recurringShare(rate: BasisPoints(1250), months: 6), .clientCredit(H.usd(75))], tiers: [PerformanceTier(minConversions: 2, bonus: BasisPoints(250))])
        h.referral(1, partner: 1, name: "A", domain: "a.example", introduced: "2025-01-05", share: 2 * Referral.wholeClaim)
        h.referral(2, partner: 2, plan: 2, name: "A too", domain: "a.example", introduced: "2025-01-10")
        h.referral(3, partner: 3, plan: 2, name: "B", vendor: ["stripe": "cus_b"], introduced: "2025-01-01")
        h.referral(4, partner: 1, name: "C", code: "ACME-C", introduced: "2025-02-01")
    }

    /// A random stream: payments (some twice, as Stripe sends paid and payment_succeeded), some
    /// refunded or voided, for referred and unreferred customers.
    func stream(_ rng: inout SeededGenerator) -> [BusinessEvent] {
        let h = LedgerHarness()
        let customers: [(String, String?, String?)] = [("cus_a", "x@a.example", nil), ("cus_b", nil, nil), ("cus_c", "c@gmail.com", "ACME-C"), ("cus_z", "z@z.example", nil)]
        var events: [BusinessEvent] = []
        for index in 0..<Int.random(in: 8...24, using: &rng) {
            let (customer, email, code) = customers.randomElement(using: &rng)!
            let day = Int.random(in: 1...400, using: &rng)
            let date = Calendar(identifier: .gregorian).date(byAdding: .day, value: day, to: H.date("2025-01-01"))!
            let minor = Int.random(in: 100...200_000, using: &rng)
            let cents = Decimal(minor) / 100
            var event = h.paid("in_\(index)", customer: customer, email: email, dollars: cents, on: date.formatted(.iso8601),
                oneTime: Bool.random(using: &rng) ? min(cents, 10) : nil)
            if case .invoicePaid(var paid) = event {
                paid.customer.referralCode = code
                event = .invoicePaid(paid)
            }
            events.append(event)
            if Bool.random(using: &rng) { events.append(event) }
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: events.append(h.credit("cn_\(index)", invoice: "in_\(index)", customer: customer, dollars: Decimal(minor / 4) / 100, on: date.addingTimeInterval(86_400 * 3).formatted(.iso8601)))
            case 1: events.append(h.void("in_\(index)", customer: customer, on: date.addingTimeInterval(86_400).formatted(.iso8601)))
            default: break
            }
        }
        return events
    }

    /// Lines without the delivery that happened to carry them (which depends on arrival).
    func normalized(_ h: LedgerHarness) -> [AccrualLine] {
        h.live.values.map { accrual in
            var line = accrual.line
            line.sourceDelivery = nil
            return line
        }.sorted { $0.key < $1.key }
    }

    @Test(arguments: 1...40)
    func anyArrivalOrderGivesTheRebuiltLedger(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let events = stream(&rng)

        let rebuilt = LedgerHarness()
        program(rebuilt)
        rebuilt.receive(all: events.shuffled(using: &rng))

        let incremental = LedgerHarness()
        program(incremental)
        for event in events.shuffled(using: &rng) { incremental.receive(event) }

        #expect(normalized(incremental) == normalized(rebuilt), "seed \(seed)")
        // Splits, reversals and caps only ever reduce a line: none exceeds its rate of its basis.
        for line in rebuilt.live.values.map(\.line) {
            if let basis = line.basis, let rate = line.rate {
                #expect(line.amount.minorUnits <= basis.share(rate).minorUnits, "seed \(seed): \(line.key)")
            }
        }
        // One business effect pays a referral's rule once: one recurring line per invoice and referral.
        let perInvoice = Dictionary(grouping: rebuilt.live.values.filter { $0.line.rule == "recurring_share" }) {
            "\($0.line.businessKey)|\($0.line.referralID)"
        }
        #expect(perInvoice.values.allSatisfy { $0.count == 1 }, "seed \(seed)")
    }

    @Test func rebuildingTheSameStoreGivesExactlyTheSameLines() {
        var rng = SeededGenerator(seed: 99)
        let h = LedgerHarness()
        program(h)
        for event in stream(&rng) { h.receive(event) }
        let incremental = h.live.values.map(\.line).sorted { $0.key < $1.key }
        let rebuilt = h.projector.project(h.events, program: h.program).lines.filter { $0.amount.minorUnits != 0 }
        #expect(rebuilt == incremental)
        #expect(!incremental.isEmpty)
    }
}
