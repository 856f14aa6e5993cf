import Foundation
import GatewayCore
import Testing

/// The stories of the program-engine issue, to the cent.
@Suite struct ProgramStoriesTests {
    typealias H = LedgerHarness

    @Test func brightDentalPaymentAccruesTenPercentPendingForThirtyDays() throws {
        let h = LedgerHarness()
        h.partner(1, "Acme Accounting")
        h.plan(1, [.recurringShare(rate: BasisPoints(1000), months: 12)])
        h.referral(1, partner: 1, name: "Bright Dental", domain: "brightdental.example", introduced: "2025-05-20")
        let projection = h.receive(h.paid("in_1", dollars: 499, on: "2025-06-01T00:00:04Z"))

        let line = try #require(h.stored.first?.line)
        #expect(h.stored.count == 1)
        #expect(line.partnerID == PartnerID(1))
        #expect(line.basis == H.usd(499))
        #expect(line.rate == BasisPoints(1000))
        #expect(line.amount == H.usd(49.90))
        #expect(line.planVersion == 1)
        #expect(line.holdUntil == H.date("2025-07-01T00:00:04Z"))
        #expect(h.stored.first?.status(at: H.date("2025-06-15")) == .pending)
        #expect(h.stored.first?.status(at: H.date("2025-07-02")) == .payable)
        #expect(projection.contracts.map(\.startedAt) == [H.date("2025-06-01T00:00:04Z")])
    }

    @Test func theSameBusinessEffectAccruesOnceWhateverCarriesIt() {
        let h = LedgerHarness()
        h.partner(1, "Acme Accounting")
        h.plan(1, [.recurringShare(rate: BasisPoints(1000), months: 12)])
        h.referral(1, partner: 1, name: "Bright Dental", domain: "brightdental.example", introduced: "2025-05-20")
        let paid = h.paid("in_1", dollars: 499, on: "2025-06-01")
        h.receive(paid, paid, paid)
        #expect(h.amounts == [4_990])
    }

    @Test func aCenterOfInfluenceEarnsFivePercentOfMRRForTwelveMonths() {
        let h = LedgerHarness()
        h.partner(1, "Harbor CPA", kind: .centerOfInfluence)
        h.plan(1, [.recurringShare(rate: BasisPoints(500), months: 12)])
        h.referral(1, partner: 1, name: "Bright Dental", domain: "brightdental.example", introduced: "2025-05-20")
        for month in 0..<14 {
            let date = Calendar(identifier: .gregorian).date(byAdding: .month, value: month, to: H.date("2025-06-01T12:00:00Z"))!
            h.receive(h.paid("in_\(month)", dollars: 1_499, on: date.formatted(.iso8601)))
        }
        #expect(h.stored.count == 12)
        #expect(h.total(partner: 1) == 12 * 7_495)
    }

    @Test func aClientPartnerIsCreditedOnItsOwnInvoiceAndTheReferredClientToo() {
        let h = LedgerHarness()
        h.partner(1, "Happy Client Co", kind: .client, payout: .accountCredit)
        h.plan(1, [.finderFee(H.usd(500)), .clientCredit(H.usd(200))])
        h.referral(1, partner: 1, name: "Bright Dental", domain: "brightdental.example", introduced: "2025-05-20")
        h.receive(h.paid("in_1", dollars: 499, on: "2025-06-01"))
        let byRule = Dictionary(uniqueKeysWithValues: h.stored.map { ($0.line.rule, $0.line) })
        #expect(byRule["finder_fee"]?.amount == H.usd(500))
        #expect(byRule["finder_fee"]?.beneficiary == .partner)
        #expect(byRule["client_credit"]?.amount == H.usd(200))
        #expect(byRule["client_credit"]?.beneficiary == .referredClient)
        #expect(h.program.partners[PartnerID(1)]?.payoutForm == .accountCredit)
    }

    @Test func aPeerMSPOnALifetimeTenPercentKeepsEarning() {
        let h = LedgerHarness()
        h.partner(1, "Peer IT", kind: .peerMSP)
        h.plan(1, [.recurringShare(rate: BasisPoints(1000), months: nil)])
        h.referral(1, partner: 1, name: "Bright Dental", domain: "brightdental.example", introduced: "2025-05-20")
        h.receive(h.paid("in_1", dollars: 800, on: "2025-06-01"), h.paid("in_40", dollars: 812.34, on: "2028-10-01"))
        #expect(h.amounts == [8_000, 8_123])
    }

    @Test func theHybridPaysAtTheQualifiedMeetingAndAShareOfFirstYearValueAtSigning() {
        let h = LedgerHarness()
        h.partner(1, "Summit vCIO", kind: .vcio)
        h.plan(1, [.qualifiedMeeting(H.usd(250)), .firstYearValue(rate: BasisPoints(1500))])
        h.referral(1, partner: 1, name: "Acme Dental", vendor: ["connectwise": "250"], introduced: "2025-05-01")
        h.referrals[0].qualifiedAt = H.date("2025-05-10")
        h.recompute()
        #expect(h.amounts == [25_000])
        h.receive(h.agreement("4711", monthly: 1_000, on: "2025-06-01"))
        let byRule = Dictionary(uniqueKeysWithValues: h.stored.map { ($0.line.rule, $0.line) })
        #expect(byRule["qualified_meeting"]?.amount == H.usd(250))
        #expect(byRule["first_year_value"]?.basis == H.usd(12_000))
        #expect(byRule["first_year_value"]?.amount == H.usd(1_800))
    }

    @Test func aRefundAfterPayoutAddsAClawbackThatTheNextPayoutDeducts() throws {
        let h = LedgerHarness()
        h.partner(1, "Acme Accounting")
        h.plan(1, [.recurringShare(rate: BasisPoints(1000), months: 12)])
        h.referral(1, partner: 1, name: "Bright Dental", domain: "brightdental.example", introduced: "2025-05-20")
        h.receive(h.paid("in_1", dollars: 499, on: "2025-06-01"))
        h.payAll(on: "2025-07-05")
        let paid = try #require(h.stored.first)
        #expect(paid.state == .paid)

        h.receive(h.credit("cn_1", invoice: "in_1", dollars: 100, on: "2025-07-20"))
        #expect(h.stored.first == paid, "a paid line is never edited")
        let clawback = try #require(h.stored.last)
        #expect(clawback.line.adjusts == paid.line.key)
        #expect(clawback.line.amount == H.usd(-10))
        #expect(clawback.status(at: H.date("2025-07-21")) == .payable)
        #expect(h.total(partner: 1) == 3_990)
    }

    @Test func aRefundDuringTheHoldReducesThePendingLineProRata() {
        let h = LedgerHarness()
        h.partner(1, "Acme Accounting")
        h.plan(1, [.recurringShare(rate: BasisPoints(1000), months: 12)])
        h.referral(1, partner: 1, name: "Bright Dental", domain: "brightdental.example", introduced: "2025-05-20")
        h.receive(h.paid("in_1", dollars: 499, on: "2025-06-01"), h.credit("cn_1", invoice: "in_1", dollars: 99.80, on: "2025-06-10"))
        #expect(h.amounts == [3_992])
        #expect(h.stored.count == 1)
        h.receive(h.void("in_1", on: "2025-06-12"))
        #expect(h.stored.first?.state == .voided)
    }

    @Test func twoPartnersClaimingOneCompanyFollowTheConflictRuleAndMoneyIsNeverPaidTwice() {
        func ledger(_ rule: ProgramSettings.ConflictRule) -> LedgerHarness {
            let h = LedgerHarness()
            h.settings.conflictRule = rule
            h.partner(1, "Acme Accounting")
            h.partner(2, "Harbor Law")
            h.plan(1, [.recurringShare(rate: BasisPoints(1000), months: 12)])
            h.referral(1, partner: 1, name: "Bright Dental", domain: "brightdental.example", introduced: "2025-05-01", share: 2)
            h.referral(2, partner: 2, name: "Bright Dental PC", domain: "brightdental.example", introduced: "2025-05-15", share: 1)
            h.receive(h.paid("in_1", dollars: 499.99, on: "2025-06-01"))
            return h
        }
        var h = ledger(.firstValidClaim)
        #expect((h.total(partner: 1), h.total(partner: 2)) == (5_000, 0))
        #expect(h.stored.allSatisfy { !$0.line.note.contains("split") }, "a whole claim is not a split")
        let conflicts = h.projector.project(h.events, program: h.program).conflicts
        #expect(conflicts.map(\.referralID) == [ReferralID(2)])
        #expect(conflicts.first?.winner == ReferralID(1))

        h = ledger(.lastClaim)
        #expect((h.total(partner: 1), h.total(partner: 2)) == (0, 5_000))
        // Split 2:1 of 50.00: 33.33 and 16.67; never more than the whole.
        h = ledger(.split)
        #expect((h.total(partner: 1), h.total(partner: 2)) == (3_333, 1_667))
        #expect(h.stored.map(\.line.note).sorted() == ["step 1: 10%, months 1–12; split share 1/3", "step 1: 10%, months 1–12; split share 2/3"])
    }

    @Test func selfReferralAndAlreadyAClientEarnNothingAndSayWhy() {
        let h = LedgerHarness()
        h.partner(1, "Bright Dental Staff Club", kind: .client, domains: ["brightdental.example"])
        h.partner(2, "Acme Accounting")
        h.plan(1, [.recurringShare(rate: BasisPoints(1000), months: 12)])
        h.referral(1, partner: 1, name: "Bright Dental", domain: "brightdental.example", introduced: "2025-05-20")
        h.referral(2, partner: 2, name: "Old Client", vendor: ["stripe": "cus_old"], introduced: "2025-05-20")
        let projection = h.receive(
            h.paid("in_1", dollars: 499, on: "2025-06-01"), h.paid("in_0", customer: "cus_old", email: nil, dollars: 100, on: "2025-04-01"),
            h.paid("in_2", customer: "cus_old", email: nil, dollars: 100, on: "2025-06-01"))
        #expect(h.stored.isEmpty)
        #expect(projection.conflicts.contains { $0.reason.hasPrefix("self-referral") })
        #expect(projection.conflicts.contains { $0.referralID == ReferralID(2) && $0.reason.contains("already a client") })
    }
}
