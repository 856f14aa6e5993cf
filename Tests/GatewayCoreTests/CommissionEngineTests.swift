import Foundation
import GatewayCore
import Testing

@Suite struct CommissionEngineTests {
    let usd = CurrencyCode("USD")!
    let acme = PartnerID(1)
    let plan = PlanID(1)
    /// 2025-05-20T00:00:00Z
    let introduced = Date(timeIntervalSince1970: 1_747_699_200)

    /// Acme Accounting referred Bright Dental on 10 % of each collected payment for 12 months,
    /// with a 30-day hold.
    func brightDentalLedger(months: Int? = 12) -> InMemoryLedger {
        let ledger = InMemoryLedger()
        ledger.plans[plan] = [
            PlanVersion(
                planID: plan, version: 1, effectiveFrom: Date(timeIntervalSince1970: 0),
                rules: [.recurringShare(rate: BasisPoints(1000), months: months)], holdDays: 30)
        ]
        ledger.referrals = [
            Referral(
                id: ReferralID(1), partnerID: acme, planID: plan, prospectName: "Bright Dental", domains: ["brightdental.example"],
                introducedAt: introduced)
        ]
        return ledger
    }

    func invoicePaid(
        invoice: String = "in_1", customer: String = "cus_bright", email: String? = "ap@brightdental.example",
        code: String? = nil, amount: Int64 = 49_900, paidAt: Date
    ) -> BusinessEvent {
        .invoicePaid(
            InvoicePaid(
                invoiceID: invoice,
                customer: CustomerReference(source: "stripe", id: customer, email: email, referralCode: code),
                amountPaid: Money(minorUnits: amount, currency: usd), paidAt: paidAt))
    }

    func day(_ days: Double, after date: Date) -> Date { date.addingTimeInterval(days * 86_400) }

    @Test func brightDentalPaymentAccruesTenPercentPendingForThirtyDays() throws {
        let ledger = brightDentalLedger()
        let paidAt = day(12, after: introduced)
        let effects = try ledger.apply(invoicePaid(paidAt: paidAt), delivery: 7)

        guard case .new(let contract) = effects.contract else {
            Issue.record("expected a new contract, got \(String(describing: effects.contract))")
            return
        }
        #expect(contract.referral.id == ReferralID(1))
        #expect(contract.startedAt == paidAt)
        #expect(effects.learnedKeys == [.vendor(source: "stripe", id: "cus_bright")])
        let line = try #require(ledger.accruals.first)
        #expect(ledger.accruals.count == 1)
        #expect(line.partnerID == acme)
        #expect(line.sourceDelivery == DeliveryID(7))
        #expect(line.basis == Money(minorUnits: 49_900, currency: usd))
        #expect(line.rate == BasisPoints(1000))
        #expect(line.amount == Money(minorUnits: 4_990, currency: usd))
        #expect(line.planVersion == 1)
        #expect(line.state == .pending)
        #expect(line.holdUntil == day(30, after: paidAt))
    }

    @Test func theSameInvoiceAccruesOnceWhateverEventCarriesIt() throws {
        let ledger = brightDentalLedger()
        let paid = invoicePaid(paidAt: day(12, after: introduced))
        try ledger.apply(paid, delivery: 1)
        let second = try ledger.apply(paid, delivery: 2)
        #expect(ledger.accruals.count == 1)
        #expect(second.accruals.isEmpty)
        #expect(second.explanation.contains("already accrued"))
    }

    @Test func laterInvoicesMatchByTheLearnedVendorIDEvenWithAnotherEmail() throws {
        let ledger = brightDentalLedger()
        try ledger.apply(invoicePaid(invoice: "in_1", paidAt: day(12, after: introduced)), delivery: 1)
        try ledger.apply(invoicePaid(invoice: "in_2", email: "billing@gmail.com", paidAt: day(42, after: introduced)), delivery: 2)
        #expect(ledger.accruals.map(\.amount.minorUnits) == [4_990, 4_990])
        #expect(ledger.contracts.count == 1)
    }

    @Test func paymentsAfterTheRecurringMonthsDoNotAccrue() throws {
        let ledger = brightDentalLedger(months: 12)
        let start = day(12, after: introduced)
        try ledger.apply(invoicePaid(invoice: "in_1", paidAt: start), delivery: 1)
        let lastMonth = Calendar(identifier: .gregorian).date(byAdding: .month, value: 11, to: start)!
        try ledger.apply(invoicePaid(invoice: "in_12", paidAt: lastMonth), delivery: 2)
        let effects = try ledger.apply(invoicePaid(invoice: "in_13", paidAt: day(366, after: start)), delivery: 3)
        #expect(ledger.accruals.count == 2)
        #expect(effects.explanation.contains("past its first 12 months"))
    }

    @Test func lifetimeShareKeepsAccruing() throws {
        let ledger = brightDentalLedger(months: nil)
        let start = day(12, after: introduced)
        try ledger.apply(invoicePaid(invoice: "in_1", paidAt: start), delivery: 1)
        try ledger.apply(invoicePaid(invoice: "in_40", paidAt: day(1200, after: start)), delivery: 2)
        #expect(ledger.accruals.count == 2)
    }

    @Test func aCustomerMatchingNoReferralAccruesNothing() throws {
        let ledger = brightDentalLedger()
        let effects = try ledger.apply(
            invoicePaid(customer: "cus_other", email: "ap@otherclinic.example", paidAt: day(12, after: introduced)), delivery: 1)
        #expect(effects.contract == nil)
        #expect(ledger.accruals.isEmpty)
        #expect(effects.explanation.contains("no referral matches"))
    }

    @Test func freeMailDomainsNeverMatch() throws {
        let ledger = brightDentalLedger()
        ledger.referrals[0].domains = ["gmail.com"]
        try ledger.apply(invoicePaid(email: "someone@gmail.com", paidAt: day(12, after: introduced)), delivery: 1)
        #expect(ledger.accruals.isEmpty)
    }

    @Test func aFirstPaymentOutsideTheAttributionWindowDoesNotStartAContract() throws {
        let ledger = brightDentalLedger()
        let late = try ledger.apply(invoicePaid(paidAt: day(61, after: introduced)), delivery: 1)
        #expect(late.contract == nil)
        #expect(late.explanation.contains("attribution window"))
        let early = try ledger.apply(invoicePaid(invoice: "in_0", paidAt: day(-1, after: introduced)), delivery: 2)
        #expect(early.contract == nil)
        #expect(ledger.accruals.isEmpty)
    }

    @Test func vendorIDBeatsReferralCodeWhichBeatsDomain() throws {
        let ledger = brightDentalLedger()
        let byCode = Referral(
            id: ReferralID(2), partnerID: PartnerID(2), planID: plan, prospectName: "Bright Dental (code)", referralCode: "VCIO-7",
            introducedAt: introduced)
        let byVendor = Referral(
            id: ReferralID(3), partnerID: PartnerID(3), planID: plan, prospectName: "Bright Dental (id)",
            vendorIDs: ["stripe": "cus_bright"], introducedAt: introduced.addingTimeInterval(3600))
        ledger.referrals += [byCode, byVendor]
        try ledger.apply(invoicePaid(code: "vcio-7", paidAt: day(12, after: introduced)), delivery: 1)
        #expect(ledger.accruals.map(\.partnerID) == [PartnerID(3)])

        let codeLedger = brightDentalLedger()
        codeLedger.referrals.append(byCode)
        try codeLedger.apply(invoicePaid(code: "VCIO-7", paidAt: day(12, after: introduced)), delivery: 1)
        #expect(codeLedger.accruals.map(\.partnerID) == [PartnerID(2)])
    }

    @Test func theEarliestIntroductionWinsAmongEqualClaims() throws {
        let ledger = brightDentalLedger()
        ledger.referrals.append(
            Referral(
                id: ReferralID(2), partnerID: PartnerID(2), planID: plan, prospectName: "Bright Dental again",
                domains: ["brightdental.example"], introducedAt: day(-3, after: introduced)))
        try ledger.apply(invoicePaid(paidAt: day(12, after: introduced)), delivery: 1)
        #expect(ledger.accruals.map(\.partnerID) == [PartnerID(2)])
    }

    @Test func aPlanVersionAppliesFromItsEffectiveDateOnly() throws {
        let ledger = brightDentalLedger(months: nil)
        let change = day(40, after: introduced)
        ledger.plans[plan]!.append(
            PlanVersion(planID: plan, version: 2, effectiveFrom: change, rules: [.recurringShare(rate: BasisPoints(500), months: nil)]))
        try ledger.apply(invoicePaid(invoice: "in_1", paidAt: day(12, after: introduced)), delivery: 1)
        try ledger.apply(invoicePaid(invoice: "in_2", paidAt: day(42, after: introduced)), delivery: 2)
        #expect(ledger.accruals.map(\.planVersion) == [1, 2])
        #expect(ledger.accruals.map(\.amount.minorUnits) == [4_990, 2_495])
    }
}
