import Foundation
import GatewayCore
import GatewayEngine
@testable import GatewayPostgres
import GatewayRepositories
import GatewayTestSupport
import PostgresNIO
import Testing

/// Partners, plans, referrals, give and get, reviews and the audit trail in PostgreSQL.
@Suite(PostgresTestDatabase.enabled) struct PostgresProgramTests {
    static let now = Events.date("2025-03-01T09:00:00Z")
    static let terms = PlanTerms(
        effectiveFrom: Events.date("2025-01-01"), rules: [.finderFee(Events.usd(250))], holdDays: 45, capPerReferral: Events.usd(5000))

    @Test func partnersAndPlansAreStoredAndReadOnAnotherInstance() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            let one = PostgresProgramRepository(database: databases[0])
            let other = PostgresProgramRepository(database: databases[1])
            let added = try await one.addPartner(
                Partner(
                    id: PartnerID(0), name: "Acme CPA", kind: .centerOfInfluence, specialty: .accountant, payoutForm: .cash, email: "pat@acme.example",
                    domains: ["acme.example"], vendorIDs: ["stripe": "cus_acme"], createdAt: Date()),
                at: Self.now)
            #expect(added.id == PartnerID(1))
            #expect(added.createdAt == Self.now)
            #expect(try await other.partner(added.id) == added)
            #expect(try await other.partners() == [added])
            #expect(try await other.partner(PartnerID(9)) == nil)

            let plan = try await one.addPlan(name: "standard", terms: Self.terms, at: Self.now)
            #expect(plan.versions.map(\.version) == [1])
            #expect(try await other.plan(plan.id) == plan)
            #expect(try await other.plan(plan.id)?.versions.first?.effectiveFrom == Events.date("2025-01-01"))
            #expect(try await other.plans() == [plan])
            #expect(try await other.plan(PlanID(9)) == nil)
            #expect(try await other.auditLog(limit: 10).map(\.action) == ["plan.created", "partner.created"], "newest first")
            #expect(try await other.auditLog(limit: 10).last?.detail == ["name": "Acme CPA"])
        }
    }

    @Test func onePlanNameAddedOnTwoInstancesAtOnceMakesOnePlan() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            let programs = databases.map(PostgresProgramRepository.init(database:))
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<6 {
                    group.addTask {
                        do {
                            _ = try await programs[index % 2].addPlan(name: "standard", terms: Self.terms, at: Self.now)
                            return true
                        } catch let error as GatewayError {
                            return error.code == .conflict ? false : true
                        } catch {
                            return true
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1, "one plan made; the others told it exists")
            #expect(try await programs[0].plans().count == 1)
            let versions = try await databases[0].rows("SELECT COUNT(*) FROM plan_version")
            #expect(try versions.first?.decode(Int.self) == 1)
        }
    }

    @Test func referralsAreReadWithTheirContractAndClaimsAndFirstEventsFound() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            let program = PostgresProgramRepository(database: database)
            let partner = try await program.addPartner(Partner(id: PartnerID(0), name: "Acme", kind: .client, payoutForm: .cash, createdAt: Self.now), at: Self.now)
            let peer = try await program.addPartner(Partner(id: PartnerID(0), name: "Peer", kind: .peerMSP, payoutForm: .cash, createdAt: Self.now), at: Self.now)
            let plan = try await program.addPlan(name: "standard", terms: Self.terms, at: Self.now)
            // Written here in SQL, so the referral holds every field (its qualification, a share, flags) at once.
            let referral = Referral(
                id: ReferralID(1), partnerID: partner.id, planID: plan.id, prospectName: "Bright Dental", domains: ["brightdental.example"],
                contactEmails: ["ap@brightdental.example"], vendorIDs: ["stripe": "cus_bd"], referralCode: "ACME1",
                introducedAt: Events.date("2025-01-05"), qualifiedAt: Events.date("2025-01-20"), claimShare: 5000)
            try await database.execute(
                """
                INSERT INTO referral (id, partner_id, plan_id, prospect_name, domains, contact_emails, vendor_ids, referral_code, introduced_at,
                    status, qualified_at, claim_share, flags)
                VALUES (1, \(partner.id.rawValue), \(plan.id.rawValue), 'Bright Dental', \(try ColumnJSON.text(referral.domains)),
                    \(try ColumnJSON.text(referral.contactEmails)), \(try ColumnJSON.text(referral.vendorIDs)), 'ACME1',
                    \(referral.introducedAt), 'introduced', \(referral.qualifiedAt), 5000, '["self-referral check skipped"]')
                """)
            try await database.execute(
                "INSERT INTO referral_key (key, referral_id) SELECT key, 1 FROM unnest(\(referral.matchKeys.map(\.storageKey))::text[]) AS key")
            try await database.execute(
                """
                INSERT INTO contract (referral_id, partner_id, plan_id, customer, started_at, created_by_delivery)
                VALUES (1, \(partner.id.rawValue), \(plan.id.rawValue), \(try ColumnJSON.text(CustomerReference(source: "stripe", id: "cus_bd"))),
                    \(Events.date("2025-02-01")), 1)
                """)

            let stored = try #require(try await program.referral(ReferralID(1)))
            #expect(stored.referral == referral)
            #expect(stored.flags == ["self-referral check skipped"])
            #expect(stored.contractStartedAt == Events.date("2025-02-01"))
            #expect(try await program.referrals() == [stored])
            #expect(try await program.referral(ReferralID(2)) == nil)

            let keys = referral.matchKeys.map(\.storageKey)
            #expect(try await program.claims(on: keys, otherThan: peer.id) == [ReferralID(1)])
            #expect(try await program.claims(on: keys, otherThan: partner.id).isEmpty, "a partner's own referral is no rival claim")
            #expect(try await program.claims(on: ["domain:other.example"], otherThan: peer.id).isEmpty)

            // The customer's first payment, from the inbox's stored events.
            let inbox = PostgresDeliveryInbox(database: database)
            var results: [(DeliveryID, ProcessingResult)] = []
            for (index, event) in [Events.paid("in_1", dollars: 100, on: "2025-02-03"), Events.paid("in_2", dollars: 100, on: "2025-03-03")].enumerated() {
                let id = try await inbox.ingest(
                    IncomingDelivery(
                        source: "stripe", vendorDeliveryID: "evt_\(index)", eventType: "invoice.paid", receivedAt: Self.now, requestID: nil,
                        body: Data("{}".utf8), headers: [:], verification: Verification(scheme: "stripe", matchedSecretIndex: 0))
                ).deliveryID
                results.append((id, .mapped([event], adapterVersion: 1)))
            }
            // Stored before any referral key names the customer, as a payment that came first would be.
            try await database.execute("DELETE FROM referral_key")
            try await inbox.settle(results, rules: LedgerService(), at: Self.now)
            let customerKeys = Events.paid("in_1", dollars: 100, on: "2025-02-03").lookupKeys
            #expect(try await program.firstClientEvent(on: customerKeys, before: Events.date("2025-12-31")) == Events.date("2025-02-03"))
            #expect(try await program.firstClientEvent(on: customerKeys, before: Events.date("2025-02-03")) == nil)
            #expect(try await program.firstClientEvent(on: ["vendor:stripe:cus_other"], before: Self.now) == nil)
        }
    }

    @Test func giveAndGetAndReviewsAreRecordedAloneOrTogether() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            let program = PostgresProgramRepository(database: database)
            let partner = try await program.addPartner(Partner(id: PartnerID(0), name: "Peer", kind: .peerMSP, payoutForm: .cash, createdAt: Self.now), at: Self.now)
            #expect(try await program.settings() == ProgramSettings())

            let sent = try await program.addOutboundReferral(
                OutboundReferral(id: 0, partnerID: partner.id, clientName: "Globex", referredAt: Events.date("2025-02-10"), monthlyValue: Events.usd(900), note: nil),
                at: Self.now)
            let review = try await program.addClientReview(
                ClientReview(id: 0, client: "domain:brightdental.example", reviewedOn: Events.date("2025-02-20"), outcome: .referralAsked, note: "happy"),
                at: Self.now)
            #expect(try await program.outboundReferrals() == [sent])
            #expect(try await program.clientReviews() == [review])

            var changes = ProgramChanges()
            var changedSent = sent
            changedSent.note = "signed in March"
            changes.changedOutboundReferrals = [changedSent]
            let second = ClientReview(id: 0, client: "domain:globex.example", reviewedOn: Events.date("2025-02-01"), outcome: .referralAsked)
            changes.newClientReviews = [second]
            try await program.apply(changes, rules: LedgerService(), at: Self.now)
            #expect(try await program.outboundReferrals() == [changedSent])
            #expect(try await program.clientReviews().map(\.client) == ["domain:globex.example", "domain:brightdental.example"], "by review date")

            // Partners and reviews together, in one transaction with the recomputation.
            var withPartner = ProgramChanges()
            withPartner.newPartners = [Partner(id: PartnerID(0), name: "New", kind: .client, payoutForm: .cash, createdAt: Self.now)]
            var deactivated = partner
            deactivated.deactivatedAt = Self.now
            withPartner.changedPartners = [deactivated]
            withPartner.newClientReviews = [ClientReview(id: 0, client: "domain:initech.example", reviewedOn: Self.now, outcome: .referralAsked)]
            try await program.apply(withPartner, rules: LedgerService(), at: Self.now)
            #expect(try await program.clientReviews().count == 3)
            #expect(try await program.partners().map(\.name) == ["Peer", "New"])
            #expect(try await program.partner(partner.id)?.isActive == false)
        }
    }

    @Test func referralsTheirStatusPlanVersionsOverridesAndSettingsAreWrittenWithTheLedger() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            let program = PostgresProgramRepository(database: database)
            let partner = try await program.addPartner(Partner(id: PartnerID(0), name: "Acme", kind: .client, payoutForm: .cash, createdAt: Self.now), at: Self.now)
            let plan = try await program.addPlan(name: "standard", terms: Self.terms, at: Self.now)
            let rules = LedgerService()
            let referral = Referral(
                id: ReferralID(0), partnerID: partner.id, planID: plan.id, prospectName: "Globex", domains: ["globex.example"], introducedAt: Self.now)
            let stored = try await program.addReferral(referral, flags: ["checked"], rules: rules, at: Self.now)
            #expect(stored.referral.id == ReferralID(1))
            #expect(stored.referral.domains == ["globex.example"])
            #expect(stored.flags == ["checked"])
            #expect(try await program.claims(on: ["domain:globex.example"], otherThan: PartnerID(99)) == [stored.referral.id])

            try await program.setQualified(stored.referral.id, on: Events.date("2025-03-05"), rules: rules, at: Self.now)
            try await program.setLost(stored.referral.id, on: Events.date("2025-04-01"), reason: "chose another MSP", rules: rules, at: Self.now)
            let changed = try #require(try await program.referral(stored.referral.id)?.referral)
            #expect(changed.qualifiedAt == Events.date("2025-03-05"))
            #expect(changed.lostAt == Events.date("2025-04-01"))
            #expect(changed.lostReason == "chose another MSP")
            await #expect(throws: GatewayError.notFound("referral 9 does not exist")) {
                try await program.setQualified(ReferralID(9), on: Self.now, rules: rules, at: Self.now)
            }

            // An override is a claim the recomputation records, so processing finds the customer at once.
            try await program.addOverride(customerKey: "vendor:stripe:cus_9", to: stored.referral.id, reason: "the MSP knows", rules: rules, at: Self.now)
            let matched = try await database.rows("SELECT customer_key FROM matched_customer").map { try $0.decode(String.self) }
            #expect(matched == ["vendor:stripe:cus_9"])

            let second = try await program.addPlanVersion(plan.id, terms: PlanTerms(effectiveFrom: Events.date("2025-06-01"), rules: [.finderFee(Events.usd(300))]), rules: rules, at: Self.now)
            #expect(second.version == 2)
            #expect(try await program.plan(plan.id)?.versions.map(\.version) == [1, 2])
            await #expect(throws: GatewayError.notFound("plan 9 does not exist")) {
                try await program.addPlanVersion(PlanID(9), terms: Self.terms, rules: rules, at: Self.now)
            }

            var settings = ProgramSettings()
            settings.giveGetRatio += 1
            try await program.saveSettings(settings, rules: rules, at: Self.now)
            #expect(try await program.settings() == settings)
            #expect(
                try await program.auditLog(limit: 4).map(\.action) == ["settings.changed", "plan.version_added", "attribution.overridden", "referral.lost"])
        }
    }
}
