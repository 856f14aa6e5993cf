public import Foundation
public import GatewayCore
public import GatewayEngine
public import GatewayRepositories

/// A year of an MSP's referral program (2025), stored and processed through the real inbox and
/// ledger: what the report tests check every figure of by hand.
///
/// - Happy Client Co (a client partner, itself the client `happy.example`) has an agreement of
///   1,000/month since June 2024, pays 1,000 each month of 2025, and renews on 15 November (the
///   old agreement ends that day, a new one starts).
/// - Acme Accounting (a center of influence) introduces bright (paying 500/month from 1 March),
///   cancel (an agreement of 2,000/month from 1 April, ended 30 September; three payments of 2,000
///   and a 500 credit), grow (an agreement of 1,499/month from 1 August, raised to 1,999 from
///   1 December) and a prospect that is lost.
/// - Happy Client Co introduces lapsed, which pays 300 on 1 February, March and April and stops.
/// - new.example comes unreferred, paying 800 from 15 September; its December invoice is voided.
/// - The MSP sends Acme one referral and Peer Partners two; reviews end with each outcome.
public enum YearStory {
    public static let now = Events.date("2026-01-01")
    public static let year = ReportPeriod(start: Events.date("2025-01-01"), end: Events.date("2026-01-01"))

    public struct Program: Sendable {
        public var happy: Partner
        public var acme: Partner
        public var peer: Partner
    }

    @discardableResult
    public static func load(into store: any Repositories, program: ProgramService) async throws -> Program {
        let setUp = Events.date("2024-12-01")
        let happy = try await program.addPartner(PartnerInput(name: "Happy Client Co", kind: "client", domains: ["happy.example"]), at: setUp)
        let acme = try await program.addPartner(PartnerInput(name: "Acme Accounting", kind: "center_of_influence"), at: setUp)
        let peer = try await program.addPartner(PartnerInput(name: "Peer Partners", kind: "peer_msp"), at: setUp)
        let plan = try await program.addPlan(
            PlanInput(name: "10% of collected", terms: PlanTerms(rules: [.recurringShare(rate: BasisPoints(1000), months: nil)])), at: setUp)
        func refer(_ partner: Partner, _ domain: String, on day: String) async throws -> ReferralRecord {
            try await program.addReferral(
                ReferralInput(partnerID: partner.id.rawValue, planID: plan.id.rawValue, prospectName: domain, domains: [domain], introducedAt: day),
                at: setUp)
        }
        _ = try await refer(happy, "lapsed.example", on: "2025-01-10")
        _ = try await refer(acme, "bright.example", on: "2025-02-01")
        _ = try await refer(acme, "cancel.example", on: "2025-03-01")
        _ = try await refer(acme, "grow.example", on: "2025-07-01")
        let lost = try await refer(acme, "lost.example", on: "2025-10-15")
        _ = try await program.loseReferral(lost.referral.id, on: "2025-11-01", reason: "chose another MSP", at: now)

        var events: [BusinessEvent] = []
        func paid(_ company: String, _ invoice: String, dollars: Decimal, on day: String) {
            events.append(Events.paid(invoice, customer: "cus_\(company)", email: "ap@\(company).example", dollars: dollars, on: day))
        }
        func agreement(_ company: String, _ id: String, monthly: Decimal, on day: String) {
            events.append(
                .agreementCreated(
                    AgreementCreated(
                        agreementID: id, customer: CustomerReference(source: "connectwise", id: "cw_\(company)", domain: "\(company).example"),
                        recurringAmount: Events.usd(monthly), startDate: Events.date(day))))
        }
        agreement("happy", "AH", monthly: 1_000, on: "2024-06-01")
        for month in 1...12 { paid("happy", "in_h\(month)", dollars: 1_000, on: String(format: "2025-%02d-05", month)) }
        // The renewal: the old agreement ends the day the new one starts.
        events.append(Events.cancelled("AH", on: "2025-11-15"))
        agreement("happy", "AH2", monthly: 1_000, on: "2025-11-15")
        for month in 3...12 { paid("bright", "in_b\(month)", dollars: 500, on: String(format: "2025-%02d-01", month)) }
        for month in 2...4 { paid("lapsed", "in_l\(month)", dollars: 300, on: String(format: "2025-%02d-01", month)) }
        agreement("cancel", "AC", monthly: 2_000, on: "2025-04-01")
        for month in 4...6 { paid("cancel", "in_c\(month)", dollars: 2_000, on: String(format: "2025-%02d-05", month)) }
        events.append(Events.credit("cn_c1", invoice: "in_c6", customer: "cus_cancel", dollars: 500, on: "2025-06-20"))
        events.append(Events.cancelled("AC", on: "2025-09-30"))
        agreement("grow", "AG1", monthly: 1_499, on: "2025-08-01")
        // The expansion: the agreement is raised to 1,999 a month from 1 December.
        events.append(
            .agreementChanged(
                AgreementChanged(
                    agreementID: "AG1", customer: CustomerReference(source: "connectwise", id: "cw_grow", domain: "grow.example"),
                    recurringAmount: Events.usd(1_999), effectiveAt: Events.date("2025-12-01"))))
        for month in 9...12 { paid("new", "in_n\(month)", dollars: 800, on: String(format: "2025-%02d-15", month)) }
        events.append(Events.void("in_n12", customer: "cus_new", on: "2025-12-20"))
        // Stripe reports one payment twice (invoice.paid and invoice.payment_succeeded): counted once.
        paid("bright", "in_b12", dollars: 500, on: "2025-12-01")

        for (index, event) in events.sorted(by: { ($0.occurredAt ?? .distantPast) < ($1.occurredAt ?? .distantPast) }).enumerated() {
            try await settle(event, id: "evt_year_\(index)", into: store)
        }

        for (partner, client, day, monthly) in [(acme, "Dr. Lee's practice", "2025-06-01", 300), (peer, "Harbor Law", "2025-04-01", 0), (peer, "Shoreline CPA", "2025-08-01", 0)] {
            _ = try await program.addOutboundReferral(
                OutboundReferralInput(
                    partnerID: partner.id.rawValue, clientName: client, referredAt: day,
                    monthlyValue: monthly == 0 ? nil : Events.usd(Decimal(monthly))), at: now)
        }
        for (client, day, outcome) in [
            ("happy", "2025-11-20", "referral_asked"), ("bright", "2025-12-10", "healthy"), ("new", "2025-10-01", "healthy"),
            ("cancel", "2025-05-01", "at_risk"),
        ] {
            _ = try await program.addClientReview(ClientReviewInput(client: "domain:\(client).example", reviewedOn: day, outcome: outcome), at: now)
        }
        return Program(happy: happy, acme: acme, peer: peer)
    }

    /// One delivery carrying `event`, claimed and settled as the processor does.
    public static func settle(_ event: BusinessEvent, id: String, into store: any Repositories) async throws {
        _ = try await store.inbox.ingest(
            IncomingDelivery(
                source: event.customer?.source ?? "connectwise", vendorDeliveryID: id, eventType: nil, receivedAt: now, requestID: nil, body: Data(),
                headers: [:], verification: Verification(scheme: "test", matchedSecretIndex: 0)))
        let claimed = try await store.inbox.claimDeliveries(limit: 1, lease: 60, at: now)
        try await store.inbox.settle(claimed.map { ($0.id, .mapped([event], adapterVersion: 1)) }, rules: LedgerService(), at: now)
    }
}
