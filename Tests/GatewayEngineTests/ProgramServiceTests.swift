import Foundation
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayTestSupport
import Testing

/// Program administration through the engine, on a real store behind the repository protocols.
@Suite struct ProgramServiceTests {
    static func day(_ text: String) throws -> Date { try DateInput.parse(text, field: "day") }

    @Test func aReferralsStatusUsesTheWindowOfThePlanVersionGoverningItsIntroduction() async throws {
        let temporary = try TemporaryStore()
        let program = temporary.program
        let story = try await Stories.brightDental(program, introduced: "2025-05-20")
        // From 1 May the plan's window is 10 days; version 1's 60 days no longer govern it.
        _ = try await program.addPlanVersion(
            story.plan.id,
            PlanTerms(effectiveFrom: try Self.day("2025-05-01"), rules: [.recurringShare(rate: BasisPoints(1000), months: nil)], attributionWindowDays: 10),
            at: try Self.day("2025-05-02"))
        #expect(try await program.referrals(at: Self.day("2025-05-25")).first?.status == .introduced)
        #expect(try await program.referrals(at: Self.day("2025-06-15")).first?.status == .expired)
    }

    @Test func aSelfReferralIsRefusedAndAClaimOnAnotherPartnersProspectIsFlagged() async throws {
        let temporary = try TemporaryStore()
        let program = temporary.program
        let story = try await Stories.brightDental(program)
        let harbor = try await program.addPartner(PartnerInput(name: "Harbor Law", kind: "center_of_influence", domains: ["harborlaw.example"]), at: Date())
        await #expect(throws: GatewayError.refused("self-referral: domain:harborlaw.example identifies partner \(harbor.id) itself")) {
            try await program.addReferral(
                ReferralInput(partnerID: harbor.id.rawValue, planID: story.plan.id.rawValue, prospectName: "Us", domains: ["harborlaw.example"]), at: Date())
        }
        let second = try await program.addReferral(
            ReferralInput(
                partnerID: harbor.id.rawValue, planID: story.plan.id.rawValue, prospectName: "Bright Dental", domains: [Stories.brightDentalDomain],
                claimShare: 0.5), at: Date())
        #expect(second.flags == ["already claimed by referral \(story.referral.referral.id) of another partner"])
        #expect(second.referral.claimShare == Referral.wholeClaim / 2)
    }

    @Test func nothingPayableIsRefusedAndAPaidPayoutCannotBePaidTwice() async throws {
        let temporary = try TemporaryStore()
        let (store, program) = (temporary.store, temporary.program)
        let july = try Self.day("2025-07-15")
        await #expect(throws: GatewayError.refused("nothing is payable on \(july.formatted(.iso8601))")) { try await program.createPayout(note: nil, at: july) }
        try await Stories.brightDental(program, holdDays: 30)
        let delivery = try await store.inbox.ingest(
            IncomingDelivery(
                source: "stripe", vendorDeliveryID: "evt_1", eventType: "invoice.paid", receivedAt: july, requestID: nil, body: Data(), headers: [:],
                verification: Verification(scheme: "stripe", matchedSecretIndex: 0))
        ).deliveryID
        try await store.inbox.settle(
            [(delivery, .mapped([Events.paid("in_1", email: "ap@brightdental.example", dollars: 499, on: "2025-06-01")], adapterVersion: 1))],
            rules: LedgerService(), at: july)
        let payout = try await program.createPayout(note: " June ", at: july)
        #expect(payout.note == "June")
        #expect(payout.totals.map(\.amount.minorUnits) == [4_990])
        _ = try await program.markPayoutPaid(payout.id, at: july)
        await #expect(throws: GatewayError.refused("payout \(payout.id) was already marked paid")) { try await program.markPayoutPaid(payout.id, at: july) }
        await #expect(throws: GatewayError.notFound("payout 7 does not exist")) { try await program.markPayoutPaid(7, at: july) }
    }
}

/// The rules every input follows, wherever it comes from.
@Suite struct ProgramValidationTests {
    @Test func partnerInputsAreTrimmedAndTheirKindsChecked() throws {
        let partner = try ProgramValidation.partner(
            PartnerInput(name: "  Acme  ", kind: "vcio", domains: [" Acme.Example "], vendorIDs: ["stripe": " cus_1 "]), at: Date())
        #expect(partner.name == "Acme")
        #expect(partner.domains == ["acme.example"])
        #expect(partner.vendorIDs == ["stripe": "cus_1"])
        #expect(throws: GatewayError.invalid("kind is required: one of client, center_of_influence, vcio, peer_msp, vendor", field: "kind")) {
            try ProgramValidation.partner(PartnerInput(name: "Acme", kind: nil), at: Date())
        }
        #expect(throws: GatewayError.self) { try ProgramValidation.partner(PartnerInput(name: "Acme", kind: "client", email: "not an address"), at: Date()) }
    }

    @Test func termsNeedARuleAndSaneNumbers() throws {
        let fee = CommissionRule.finderFee(Money(minorUnits: 25_000, currency: CurrencyCode("USD")!))
        #expect(throws: GatewayError.invalid("a plan needs at least one rule")) { try ProgramValidation.terms(PlanTerms(rules: [])) }
        #expect(throws: GatewayError.invalid("the finder fee amount must be more than zero")) {
            try ProgramValidation.terms(PlanTerms(rules: [.finderFee(Money(minorUnits: 0, currency: CurrencyCode("USD")!))]))
        }
        #expect(throws: GatewayError.invalid("a tier's conversions must be 1 or more")) {
            try ProgramValidation.terms(PlanTerms(rules: [fee], tiers: [PerformanceTier(minConversions: 0, bonus: BasisPoints(100))]))
        }
        #expect(try ProgramValidation.terms(PlanTerms(rules: [fee], holdDays: 0)).holdDays == 0)
    }
}

/// One reading of a delivery filter for the API, the command line, the console and replays.
@Suite struct DeliveryFilterTests {
    @Test func statusesCustomersAndDaysReadTheSameEverywhere() throws {
        let query = try DeliveryFilter(
            source: " ", statuses: ["failed", "duplicate", ""], customer: "stripe:cus_1", from: "2025-06-01", to: "2025-06-30"
        ).query(limit: 5_000)
        #expect(query.source == nil)
        #expect(query.statuses == [.failed] && query.duplicatesOnly)
        #expect(query.customerKey == "vendor:stripe:cus_1")
        #expect(query.receivedFrom == Events.date("2025-06-01"))
        #expect(query.receivedBefore == Events.date("2025-07-01"), "a day given as to includes that day")
        #expect(query.limit == 1_000)
        #expect(throws: GatewayError.self) { try DeliveryFilter(statuses: ["sunny"]).query() }
        #expect(throws: GatewayError.invalid("customer must be <source>:<id>, e.g. stripe:cus_123")) { try DeliveryFilter(customer: "cus_1").query() }
    }
}
