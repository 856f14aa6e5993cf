import Foundation
import GatewayCore
import GatewayEngine
@testable import GatewayPostgres
import GatewayRepositories
import PostgresNIO
import Testing

/// The partner portal's links, sessions and submissions, shared by the instances.
@Suite(PostgresTestDatabase.enabled) struct PostgresPortalTests {
    static let now = Date(timeIntervalSince1970: 1_748_736_000)

    func addPartner(_ database: PostgresGatewayDatabase) async throws {
        try await database.execute(
            "INSERT INTO partner (id, name, kind, payout_form, created_at) VALUES (1, 'Acme CPA', 'center_of_influence', 'cash', \(Self.now))")
    }

    func auditActions(_ database: PostgresGatewayDatabase) async throws -> [String] {
        try await database.rows("SELECT action FROM audit_log ORDER BY id").map { try $0.decode(String.self) }
    }

    @Test func aLinkOpenedOnTwoInstancesAtOnceSignsInOnce() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            try await addPartner(databases[0])
            let portals = databases.map(PostgresPortalRepository.init(database:))
            try await portals[0].addLink(partner: PartnerID(1), tokenHash: "hash-1", expiresAt: Self.now.addingTimeInterval(900), at: Self.now)
            let opened = Self.now.addingTimeInterval(60)
            let outcomes = try await withThrowingTaskGroup(of: PortalLinkRedemption.self) { group in
                for attempt in 0..<8 { group.addTask { try await portals[attempt % 2].redeemLink(tokenHash: "hash-1", at: opened) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .signedIn(PartnerID(1)) }.count == 1)
            #expect(outcomes.filter { $0 == .used(opened) }.count == 7)
            #expect(try await auditActions(databases[0]) == ["portal.link_issued", "portal.signed_in"])
        }
    }

    @Test func anExpiredOrUnknownLinkSignsNoOneIn() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            try await addPartner(database)
            let portal = PostgresPortalRepository(database: database)
            let expires = Self.now.addingTimeInterval(900)
            try await portal.addLink(partner: PartnerID(1), tokenHash: "hash-1", expiresAt: expires, at: Self.now)
            #expect(try await portal.redeemLink(tokenHash: "hash-1", at: expires) == .expired(expires))
            #expect(try await portal.redeemLink(tokenHash: "hash-other", at: Self.now) == .unknown)
            #expect(try await portal.redeemLink(tokenHash: "hash-1", at: Self.now) == .signedIn(PartnerID(1)), "the expired attempt did not spend it")
        }
    }

    @Test func aSessionIsExtendedOnEveryInstanceUntilItEndsOrExpires() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            try await addPartner(databases[0])
            let one = PostgresPortalRepository(database: databases[0])
            let other = PostgresPortalRepository(database: databases[1])
            let session = PortalSessionRecord(idHash: "session-1", partnerID: PartnerID(1), csrf: "csrf-1", expiresAt: Self.now.addingTimeInterval(3600))
            try await one.addSession(session, at: Self.now)

            let later = Self.now.addingTimeInterval(3000)
            let extended = try await other.session(idHash: "session-1", at: later, extendedTo: later.addingTimeInterval(3600))
            #expect(extended == PortalSessionRecord(idHash: "session-1", partnerID: PartnerID(1), csrf: "csrf-1", expiresAt: later.addingTimeInterval(3600)))
            // Past the first expiry, the extension holds.
            #expect(try await one.session(idHash: "session-1", at: Self.now.addingTimeInterval(4000), extendedTo: Self.now.addingTimeInterval(8000)) != nil)
            #expect(try await one.session(idHash: "session-1", at: Self.now.addingTimeInterval(9000), extendedTo: Self.now.addingTimeInterval(9999)) == nil)
            #expect(try await one.session(idHash: "unknown", at: Self.now, extendedTo: later) == nil)

            // A new session clears the expired ones; ending one removes it at once.
            try await other.addSession(
                PortalSessionRecord(idHash: "session-2", partnerID: PartnerID(1), csrf: "csrf-2", expiresAt: Self.now.addingTimeInterval(20_000)),
                at: Self.now.addingTimeInterval(10_000))
            let left = try await databases[0].rows("SELECT id_hash FROM portal_session").map { try $0.decode(String.self) }
            #expect(left == ["session-2"])
            try await one.endSession(idHash: "session-2")
            #expect(try await other.session(idHash: "session-2", at: Self.now.addingTimeInterval(10_001), extendedTo: Self.now.addingTimeInterval(20_000)) == nil)
        }
    }

    @Test func aSubmissionIsStoredListedAndDecidedOnce() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            try await addPartner(databases[0])
            try await databases[0].execute(
                "INSERT INTO partner (id, name, kind, payout_form, created_at) VALUES (2, 'Peer', 'peer_msp', 'cash', \(Self.now))")
            let portals = databases.map(PostgresPortalRepository.init(database:))
            func submission(_ partner: Int64, _ name: String) -> ReferralSubmission {
                ReferralSubmission(
                    id: SubmissionID(0), partnerID: PartnerID(partner), prospectName: name, domain: "\(name.lowercased()).example",
                    contactName: "Pat", contactEmail: "pat@\(name.lowercased()).example", note: partner == 1 ? "met at the chamber" : nil,
                    submittedAt: Self.now)
            }
            let first = try await portals[0].addSubmission(submission(1, "Globex"), at: Self.now)
            let second = try await portals[1].addSubmission(submission(2, "Initech"), at: Self.now)
            let third = try await portals[0].addSubmission(submission(1, "Hooli"), at: Self.now)
            #expect(first.id != second.id)
            #expect(first.status == .submitted)
            #expect(first.note == "met at the chamber")
            #expect(first.domain == "globex.example")
            #expect(try await portals[1].submission(first.id) == first)
            #expect(try await portals[1].submissions(of: PartnerID(1)).map(\.id) == [third.id, first.id])
            #expect(try await portals[1].submissions(of: nil).map(\.id) == [third.id, second.id, first.id])

            // Two admins on two instances decline at once: one decides, the other is told.
            let decided = Self.now.addingTimeInterval(60)
            let outcomes = await withTaskGroup(of: Result<ReferralSubmission, GatewayError>.self) { group in
                for index in 0..<2 {
                    group.addTask {
                        do { return .success(try await portals[index].declineSubmission(first.id, reason: "already a client", at: decided)) } catch {
                            return .failure(error as? GatewayError ?? GatewayError.invalid("\(error)"))
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let declined = outcomes.compactMap { try? $0.get() }
            #expect(declined.count == 1)
            #expect(declined.first?.status == .declined)
            #expect(declined.first?.declineReason == "already a client")
            #expect(declined.first?.decidedAt == decided)
            #expect(outcomes.contains { if case .failure(let error) = $0 { error.code == .conflict } else { false } })
            await #expect(throws: GatewayError.notFound("submission 99 does not exist")) {
                try await portals[0].declineSubmission(SubmissionID(99), reason: "no", at: decided)
            }
            // Accepting records the referral, once.
            try await databases[0].execute("INSERT INTO plan (id, name) VALUES (1, 'standard')")
            try await databases[0].execute(
                "INSERT INTO plan_version (plan_id, version, effective_from, terms) VALUES (1, 1, \(Self.now), \(try ColumnJSON.text(PlanTerms(rules: []))))")
            let referral = Referral(
                id: ReferralID(0), partnerID: PartnerID(2), planID: PlanID(1), prospectName: "Initech", domains: ["initech.example"],
                contactEmails: [], vendorIDs: [:], referralCode: nil, introducedAt: decided)
            let accepted = try await portals[1].acceptSubmission(second.id, as: referral, flags: [], rules: LedgerService(), at: decided)
            #expect(accepted.status == .accepted)
            #expect(accepted.referralID == ReferralID(1))
            await #expect(throws: GatewayError.conflict("submission \(second.id) was already accepted")) {
                try await portals[0].acceptSubmission(second.id, as: referral, flags: [], rules: LedgerService(), at: decided)
            }
            #expect(try await PostgresProgramRepository(database: databases[0]).referrals().map(\.referral.prospectName) == ["Initech"])
            #expect(
                try await auditActions(databases[0]) == [
                    "submission.created", "submission.created", "submission.created", "submission.declined", "referral.created", "submission.accepted",
                ])
        }
    }
}
