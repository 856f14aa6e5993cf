import Foundation
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayTestSupport
import Testing

/// The partner side through the engine, on a real store: sign-in links, sessions, submissions
/// and what one partner may see.
@Suite struct PortalServiceTests {
    static func day(_ text: String) throws -> Date { try DateInput.parse(text, field: "day") }

    @Test func aLinkSignsInOnceBeforeItExpiresAndIsStoredOnlyAsItsHash() async throws {
        let temporary = try TemporaryStore()
        let portal = PortalService(store: temporary.store)
        let story = try await Stories.brightDental(temporary.program)
        let now = try Self.day("2026-12-01")
        let link = try await portal.issueLink(for: story.partner.id, at: now)
        #expect(link.expiresAt == now.addingTimeInterval(7 * 86_400))
        #expect(link.url(base: "https://gw.example/") == "https://gw.example/portal/sign-in/\(link.token)")

        // The token is nowhere in the file: only its SHA-256 is kept.
        let file = try Data(contentsOf: temporary.directory.url.appendingPathComponent("gateway.sqlite"))
        #expect(file.range(of: Data(link.token.utf8)) == nil)

        let signIn = try await portal.signIn(token: link.token, at: now.addingTimeInterval(60))
        #expect(signIn.session.partnerID == story.partner.id)
        #expect(try await portal.session(signIn.sessionID, at: now.addingTimeInterval(120))?.partnerID == story.partner.id)
        await #expect(throws: GatewayError.refused("This sign-in link was already used. Links work once; ask for a new one.")) {
            try await portal.signIn(token: link.token, at: now.addingTimeInterval(180))
        }
        let late = try await portal.issueLink(for: story.partner.id, days: 1, at: now)
        await #expect(throws: GatewayError.refused("This sign-in link has expired. Ask for a new one.")) {
            try await portal.signIn(token: late.token, at: now.addingTimeInterval(86_401))
        }
        await #expect(throws: GatewayError.refused("This sign-in link is not valid. Check that the whole link was copied, or ask for a new one.")) {
            try await portal.signIn(token: link.token + "x", at: now)
        }
        await #expect(throws: GatewayError.invalid("days must be 1 to 30")) { try await portal.issueLink(for: story.partner.id, days: 31, at: now) }
        await #expect(throws: GatewayError.notFound("partner 99 does not exist")) { try await portal.issueLink(for: PartnerID(99), at: now) }

        // A session ends when signed out, and after its idle lifetime.
        #expect(try await portal.session(signIn.sessionID, at: now.addingTimeInterval(120 + PortalService.sessionLifetime + 1)) == nil)
        let again = try await portal.signIn(token: try await portal.issueLink(for: story.partner.id, at: now).token, at: now)
        try await portal.signOut(again.sessionID)
        #expect(try await portal.session(again.sessionID, at: now) == nil)
        #expect(try await portal.session("forged", at: now) == nil)
    }

    @Test func aSubmissionClaimsNothingUntilAcceptedAndThenEarnsFromItsSubmissionDay() async throws {
        let temporary = try TemporaryStore()
        let (store, program) = (temporary.store, temporary.program)
        let portal = PortalService(store: store)
        let story = try await Stories.brightDental(program)
        let submitted = try Self.day("2025-07-01")
        let submission = try await portal.submit(
            SubmissionInput(prospectName: " Cedar Dental ", domain: "CedarDental.example", contactName: "Dr. Cedar", contactEmail: "cedar@cedardental.example",
                note: "Met at the chamber breakfast"), by: story.partner.id, at: submitted)
        #expect(submission.status == .submitted && submission.domain == "cedardental.example" && submission.prospectName == "Cedar Dental")

        // A payment from Cedar Dental before acceptance accrues nothing.
        let delivery = try await store.inbox.ingest(
            IncomingDelivery(
                source: "stripe", vendorDeliveryID: "evt_cedar", eventType: "invoice.paid", receivedAt: submitted, requestID: nil, body: Data(),
                headers: [:], verification: Verification(scheme: "stripe", matchedSecretIndex: 0))
        ).deliveryID
        try await store.inbox.settle(
            [(delivery, .mapped([Events.paid("in_cedar", email: "ap@cedardental.example", dollars: 800, on: "2025-07-10")], adapterVersion: 1))],
            rules: LedgerService(), at: submitted)
        #expect(try await store.ledger.accruals(partner: story.partner.id).allSatisfy { $0.line.referralID == story.referral.referral.id })

        // It paid after the submission: not "already a client".
        #expect(try await portal.submissionForReview(submission.id).checks.isEmpty)
        await #expect(throws: GatewayError.invalid("plan_id is required: choose the plan the referral earns on")) {
            try await portal.accept(submission.id, plan: nil, at: submitted)
        }
        await #expect(throws: GatewayError.notFound("plan 42 does not exist")) { try await portal.accept(submission.id, plan: 42, at: submitted) }
        let accepted = try await portal.accept(submission.id, plan: story.plan.id.rawValue, at: try Self.day("2025-07-20"))
        let referralID = try #require(accepted.referralID)
        #expect(accepted.status == .accepted)
        let referral = try #require(try await program.referrals(at: Self.day("2025-07-20")).first { $0.referral.id == referralID })
        #expect(referral.referral.introducedAt == submitted && referral.status == .signed)
        // The payment that arrived while it waited now accrues its 10 %.
        let lines = try await portal.lines(of: referralID, partner: story.partner.id, at: Self.day("2025-07-20"))
        #expect(lines.map(\.accrual.line.amount.minorUnits) == [8_000])

        await #expect(throws: GatewayError.conflict("submission \(submission.id) was already accepted")) {
            try await portal.decline(submission.id, reason: "late", at: submitted)
        }
    }

    @Test func theAdminSeesTheClaimChecksAndADeclineCarriesItsReason() async throws {
        let temporary = try TemporaryStore()
        let program = temporary.program
        let portal = PortalService(store: temporary.store)
        let story = try await Stories.brightDental(program)
        let harbor = try await program.addPartner(
            PartnerInput(name: "Harbor Law", kind: "center_of_influence", domains: ["harborlaw.example"]), at: Date())
        let now = try Self.day("2025-08-01")
        // Bright Dental is Acme's referral already.
        let claimed = try await portal.submit(
            SubmissionInput(prospectName: "Bright Dental", domain: Stories.brightDentalDomain, contactName: "Ann", contactEmail: "ann@brightdental.example"),
            by: harbor.id, at: now)
        #expect(try await portal.submissionForReview(claimed.id).checks == ["already claimed by referral \(story.referral.referral.id) of another partner"])
        let declined = try await portal.decline(claimed.id, reason: " Already referred by another partner ", at: now)
        #expect(declined.status == .declined && declined.declineReason == "Already referred by another partner")
        await #expect(throws: GatewayError.invalid("reason must not be empty", field: "reason")) { try await portal.decline(claimed.id, reason: " ", at: now) }
        await #expect(throws: GatewayError.conflict("submission \(claimed.id) was already declined")) {
            try await portal.accept(claimed.id, plan: story.plan.id.rawValue, at: now)
        }
        #expect(try await portal.submissionsForReview(status: .submitted).isEmpty)

        // The partner's own company, and bad fields, are refused with the field named.
        await #expect(throws: GatewayError(.refused, "harborlaw.example is your own company; a partner cannot refer itself", field: "domain")) {
            try await portal.submit(
                SubmissionInput(prospectName: "Us", domain: "harborlaw.example", contactName: "Me", contactEmail: "me@gmail.com"), by: harbor.id, at: now)
        }
        await #expect(throws: GatewayError.invalid("contact_email must be an address like name@example.com, not 'nope'", field: "contact_email")) {
            try await portal.submit(SubmissionInput(prospectName: "X", domain: "x.example", contactName: "X", contactEmail: "nope"), by: harbor.id, at: now)
        }
        await #expect(throws: GatewayError.invalid("domain must be company domains like brightdental.example, not 'http://x'", field: "domain")) {
            try await portal.submit(SubmissionInput(prospectName: "X", domain: "http://x", contactName: "X", contactEmail: "x@x.example"), by: harbor.id, at: now)
        }
    }

    @Test func aPartnerSeesOnlyItsOwnReferralsSubmissionsAndLostReasons() async throws {
        let temporary = try TemporaryStore()
        let program = temporary.program
        let portal = PortalService(store: temporary.store)
        let story = try await Stories.brightDental(program)
        let harbor = try await program.addPartner(PartnerInput(name: "Harbor Law", kind: "center_of_influence"), at: Date())
        let theirs = try await program.addReferral(
            ReferralInput(partnerID: harbor.id.rawValue, planID: story.plan.id.rawValue, prospectName: "Oak Clinic", domains: ["oakclinic.example"]),
            at: Date())
        _ = try await program.loseReferral(theirs.referral.id, on: nil, reason: "Chose another MSP", at: Date())
        let submission = try await portal.submit(
            SubmissionInput(prospectName: "Pine Co", domain: "pine.example", contactName: "P", contactEmail: "p@pine.example"), by: harbor.id, at: Date())

        let acme = try await portal.overview(of: story.partner.id, at: Date())
        #expect(acme.referrals.map(\.referral.prospectName) == ["Bright Dental"])
        #expect(acme.submissions.isEmpty)
        let harborView = try await portal.overview(of: harbor.id, at: Date())
        #expect(harborView.referrals.map(\.status) == [.lost])
        #expect(harborView.referrals.first?.referral.lostReason == "Chose another MSP")
        #expect(harborView.submissions.map(\.id) == [submission.id])

        await #expect(throws: GatewayError.notFound("referral \(theirs.referral.id) does not exist")) {
            try await portal.referral(theirs.referral.id, of: story.partner.id, at: Date())
        }
        await #expect(throws: GatewayError.notFound("submission \(submission.id) does not exist")) {
            try await portal.submission(submission.id, of: story.partner.id)
        }
        #expect(try await portal.submission(submission.id, of: harbor.id).prospectName == "Pine Co")
    }
}
