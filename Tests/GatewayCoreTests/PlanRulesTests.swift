import Foundation
import GatewayCore
import Testing

/// Every plan rule and guard on its own, to the cent.
@Suite struct PlanRulesTests {
    typealias H = LedgerHarness

    func brightDental(_ rules: [CommissionRule], configure: (LedgerHarness) -> Void = { _ in }) -> LedgerHarness {
        let h = LedgerHarness()
        h.partner(1, "Acme Accounting")
        h.plan(1, rules)
        h.referral(1, partner: 1, name: "Bright Dental", domain: "brightdental.example", introduced: "2025-05-20")
        configure(h)
        return h
    }

    @Test func steppedRatesChangeAfterTheFirstTwelveMonths() {
        let h = brightDental([.recurringShare(steps: [RateStep(months: 12, rate: BasisPoints(1000)), RateStep(months: nil, rate: BasisPoints(500))])])
        h.receive(
            h.paid("in_1", dollars: 1_000, on: "2025-06-01"), h.paid("in_12", dollars: 1_000, on: "2026-05-01"),
            h.paid("in_13", dollars: 1_000, on: "2026-06-01"), h.paid("in_40", dollars: 1_000, on: "2028-09-01"))
        #expect(h.live.values.sorted { $0.line.earnedAt < $1.line.earnedAt }.map(\.line.amount.minorUnits) == [10_000, 10_000, 5_000, 5_000])
    }

    @Test func oneTimeLinesAreLeftOutOfTheBasisUnlessThePlanSaysOtherwise() {
        var h = brightDental([.recurringShare(rate: BasisPoints(1000), months: nil)])
        h.receive(h.paid("in_1", dollars: 1_299, on: "2025-06-01", oneTime: 300))
        #expect(h.amounts == [9_990])
        #expect(h.stored.first?.line.basis == H.usd(999))

        h = LedgerHarness()
        h.partner(1, "Acme Accounting")
        h.plan(1, [.recurringShare(rate: BasisPoints(1000), months: nil)], excludeOneTime: false)
        h.referral(1, partner: 1, name: "Bright Dental", domain: "brightdental.example", introduced: "2025-05-20")
        h.receive(h.paid("in_1", dollars: 1_299, on: "2025-06-01", oneTime: 300))
        #expect(h.amounts == [12_990])
    }

    @Test func aTierAddsABonusForPartnersWhoConvertOften() {
        let h = LedgerHarness()
        h.partner(1, "Acme Accounting")
        h.plan(1, [.recurringShare(rate: BasisPoints(1000), months: nil)], tiers: [PerformanceTier(minConversions: 3, bonus: BasisPoints(500))])
        for (index, name) in ["a", "b", "c"].enumerated() {
            h.referral(Int64(index + 1), partner: 1, name: name, domain: "\(name).example", introduced: "2025-05-0\(index + 1)")
        }
        h.receive(
            h.paid("in_a", customer: "cus_a", email: "x@a.example", dollars: 100, on: "2025-06-01"),
            h.paid("in_b", customer: "cus_b", email: "x@b.example", dollars: 100, on: "2025-06-02"),
            h.paid("in_c", customer: "cus_c", email: "x@c.example", dollars: 100, on: "2025-06-03"),
            h.paid("in_a2", customer: "cus_a", email: "x@a.example", dollars: 100, on: "2025-07-01"))
        let byInvoice = Dictionary(uniqueKeysWithValues: h.stored.map { ($0.line.businessKey, $0.line) })
        #expect(byInvoice["stripe:-:invoice:in_a:paid"]?.amount == H.usd(10))
        #expect(byInvoice["stripe:-:invoice:in_c:paid"]?.amount == H.usd(15))
        #expect(byInvoice["stripe:-:invoice:in_a2:paid"]?.rate == BasisPoints(1500))
    }

    @Test func capsPerReferralAndPerPartnerPerYear() {
        let h = LedgerHarness()
        h.partner(1, "Acme Accounting")
        h.plan(1, [.recurringShare(rate: BasisPoints(1000), months: nil)], capPerReferral: H.usd(150), capPerPartnerPerYear: H.usd(250))
        h.referral(1, partner: 1, name: "Bright Dental", domain: "brightdental.example", introduced: "2025-05-20")
        h.referral(2, partner: 1, name: "Harbor Law", domain: "harbor.example", introduced: "2025-05-20")
        h.receive(
            h.paid("in_1", dollars: 1_000, on: "2025-06-01"), h.paid("in_2", dollars: 1_000, on: "2025-07-01"),
            h.paid("in_h1", customer: "cus_h", email: "a@harbor.example", dollars: 1_000, on: "2025-06-15"),
            h.paid("in_h2", customer: "cus_h", email: "a@harbor.example", dollars: 1_000, on: "2025-08-01"),
            h.paid("in_h3", customer: "cus_h", email: "a@harbor.example", dollars: 1_000, on: "2026-01-10"))
        let ordered = h.live.values.sorted { $0.line.earnedAt < $1.line.earnedAt }
        // 100 (BD) + 100 (HL) + 50 (BD, referral cap 150) = 250, the 2025 partner cap; HL's August
        // payment finds the year full; January 2026 starts a new year but HL has 50 left of its own cap.
        #expect(ordered.map(\.line.amount.minorUnits) == [10_000, 10_000, 5_000, 0, 5_000].filter { $0 > 0 })
        #expect(ordered.first { $0.line.businessKey.contains("in_2") }?.line.note.contains("capped") == true)
    }

    @Test func theFirstReferralBonusIsPaidOnceOnThePartnersFirstContract() {
        let h = LedgerHarness()
        h.partner(1, "Acme Accounting")
        h.plan(1, [.firstReferralBonus(H.usd(100))])
        h.referral(1, partner: 1, name: "Bright Dental", domain: "brightdental.example", introduced: "2025-05-20")
        h.referral(2, partner: 1, name: "Harbor Law", domain: "harbor.example", introduced: "2025-05-21")
        h.receive(
            h.paid("in_h", customer: "cus_h", email: "a@harbor.example", dollars: 10, on: "2025-07-01"),
            h.paid("in_1", dollars: 10, on: "2025-06-01"))
        #expect(h.stored.map(\.line.referralID) == [ReferralID(1)])
    }

    @Test func aCancelledAgreementStopsRecurringAccrualsAfterItsEndDate() {
        let h = LedgerHarness()
        h.partner(1, "Acme Accounting")
        h.plan(1, [.recurringShare(rate: BasisPoints(1000), months: nil)])
        h.referral(1, partner: 1, name: "Acme Dental", vendor: ["connectwise": "250", "stripe": "cus_bd"], introduced: "2025-05-20")
        h.receive(
            h.agreement("4711", monthly: 500, on: "2025-06-01"),
            .agreementCancelled(AgreementCancelled(source: "connectwise", agreementID: "4711", endDate: H.date("2025-08-31"))),
            h.paid("in_1", dollars: 500, on: "2025-07-01"), h.paid("in_2", dollars: 500, on: "2025-09-05"))
        #expect(h.amounts == [5_000])
    }

    @Test func linesAboveTheThresholdWaitForApproval() {
        let h = brightDental([.finderFee(H.usd(2_000)), .recurringShare(rate: BasisPoints(1000), months: nil)]) {
            $0.settings.approvalThresholds = ["USD": 100_000]
        }
        h.receive(h.paid("in_1", dollars: 499, on: "2025-06-01"))
        let fee = h.stored.first { $0.line.rule == "finder_fee" }!
        let share = h.stored.first { $0.line.rule == "recurring_share" }!
        #expect(fee.status(at: H.date("2025-08-01")) == .awaitingApproval)
        #expect(share.status(at: H.date("2025-08-01")) == .payable)
        var approved = fee
        approved.approvedAt = H.date("2025-08-02")
        #expect(approved.status(at: H.date("2025-08-03")) == .payable)
    }

    @Test func reciprocalOnlyPartnersEarnNoFee() {
        let h = LedgerHarness()
        h.partner(1, "Ethics-bound Attorney", payout: .reciprocalOnly)
        h.plan(1, [.recurringShare(rate: BasisPoints(1000), months: nil), .clientCredit(H.usd(100))])
        h.referral(1, partner: 1, name: "Bright Dental", domain: "brightdental.example", introduced: "2025-05-20")
        let projection = h.receive(h.paid("in_1", dollars: 499, on: "2025-06-01"))
        #expect(h.stored.map(\.line.beneficiary) == [.referredClient])
        #expect(projection.explanations["stripe:-:invoice:in_1:paid"]?.contains("reciprocal only") == true)
    }

    @Test func anOverrideMovesACustomerAndTheLedgerFollows() throws {
        let h = brightDental([.recurringShare(rate: BasisPoints(1000), months: nil)])
        h.partner(2, "Harbor Law")
        h.referral(2, partner: 2, name: "Bright Dental (Harbor)", introduced: "2025-05-25")
        h.receive(h.paid("in_1", dollars: 499, on: "2025-06-01"))
        #expect(h.total(partner: 1) == 4_990)
        h.overrides.append(AttributionOverride(customerKey: "vendor:stripe:cus_bd", referralID: ReferralID(2), reason: "Harbor made the intro"))
        let projection = h.recompute()
        #expect((h.total(partner: 1), h.total(partner: 2)) == (0, 4_990))
        #expect(projection.explanations["stripe:-:invoice:in_1:paid"]?.contains("Harbor made the intro") == true)
    }

    @Test func aLostReferralAndOneOutsideItsWindowClaimNothing() {
        var h = brightDental([.recurringShare(rate: BasisPoints(1000), months: nil)])
        h.referrals[0].lostAt = H.date("2025-05-30")
        h.receive(h.paid("in_1", dollars: 499, on: "2025-06-01"))
        #expect(h.stored.isEmpty)

        h = brightDental([.recurringShare(rate: BasisPoints(1000), months: nil)])
        let projection = h.receive(h.paid("in_1", dollars: 499, on: "2025-07-20"))
        #expect(h.stored.isEmpty)
        #expect(projection.explanations["stripe:-:invoice:in_1:paid"]?.contains("attribution window") == true)
    }

    @Test func aPlanChangeAppliesFromItsDateAndNeverRewritesEarlierAccruals() {
        let h = brightDental([.recurringShare(rate: BasisPoints(1000), months: nil)])
        h.receive(h.paid("in_1", dollars: 499, on: "2025-06-01"))
        let before = h.stored
        h.plan(1, [.recurringShare(rate: BasisPoints(500), months: nil)], from: H.date("2025-07-01"), version: 2)
        h.receive(h.paid("in_2", dollars: 499, on: "2025-07-01T12:00:00Z"))
        #expect(Array(h.stored.prefix(1)) == before)
        #expect(h.stored.map(\.line.planVersion) == [1, 2])
        #expect(h.amounts == [4_990, 2_495])
    }

    @Test func eventsArrivingBeforeTheirReferralOrPaymentGiveTheSameLedger() {
        let h = LedgerHarness()
        h.partner(1, "Acme Accounting")
        h.plan(1, [.recurringShare(rate: BasisPoints(1000), months: nil)])
        // The refund and the payment arrive before anyone registers the referral.
        h.receive(h.credit("cn_1", invoice: "in_1", dollars: 49.90, on: "2025-06-05"), h.paid("in_1", dollars: 499, on: "2025-06-01"))
        #expect(h.stored.isEmpty)
        h.referral(1, partner: 1, name: "Bright Dental", domain: "brightdental.example", introduced: "2025-05-20")
        h.recompute()
        #expect(h.amounts == [4_491])
    }
}
