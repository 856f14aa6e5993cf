import Foundation
import GatewayCore
import GatewayEngine
import GatewayViews

// The portal's pages as their templates read them: every value already written for a partner.

struct SignInView {
    var token: String
}

struct PortalMessageView {
    var title: String
    var text: String
    var back: String?
}

struct PortalHomeView {
    struct ReferralRow {
        var id: Int64
        var prospect: String
        var introduced: String
        var status: String
        var reason: String
    }

    struct SubmissionRow {
        var id: Int64
        var prospect: String
        var submitted: String
        var status: String
        var reason: String
    }

    struct PayoutRow {
        var id: Int64
        var created: String
        var paid: String
        var amount: String
    }

    struct BalanceCard {
        var currency: String
        var payable: String
        var pending: String
        var paid: String
    }

    struct GiveGetView {
        var months: Int
        var received: Int
        var receivedNoun: String
        var given: Int
        var givenNoun: String
    }

    var mrr: String
    var balance: [BalanceCard]
    var referrals: [ReferralRow]
    var submissions: [SubmissionRow]
    var hasAny: Bool
    var payouts: [PayoutRow]
    var giveGet: GiveGetView?

    init(_ overview: PortalOverview) {
        mrr = Display.money(overview.runningMRR)
        balance = overview.balance.map { totals in
            BalanceCard(
                currency: totals.currency.code, payable: totals.amount(.payable).decimalString,
                pending: Money(
                    minorUnits: totals.amount(.pending).minorUnits + totals.amount(.awaitingApproval).minorUnits, currency: totals.currency
                ).decimalString, paid: totals.amount(.paid).decimalString)
        }
        referrals = overview.referrals.map { record in
            ReferralRow(
                id: record.referral.id.rawValue, prospect: record.referral.prospectName, introduced: Display.day(record.referral.introducedAt),
                status: record.status.rawValue, reason: record.status == .lost ? record.referral.lostReason ?? "" : "")
        }
        submissions = overview.submissions.map { submission in
            SubmissionRow(
                id: submission.id.rawValue, prospect: submission.prospectName, submitted: Display.day(submission.submittedAt),
                status: submission.status.rawValue, reason: submission.declineReason ?? "")
        }
        hasAny = !referrals.isEmpty || !submissions.isEmpty
        payouts = overview.payouts.map { payout in
            PayoutRow(id: payout.id, created: Display.day(payout.createdAt), paid: Display.day(payout.paidAt), amount: Display.money(payout.amounts))
        }
        giveGet = overview.giveGet.map { balance in
            GiveGetView(
                months: balance.windowMonths, received: balance.referralsReceived,
                receivedNoun: balance.referralsReceived == 1 ? "prospect" : "prospects", given: balance.referralsGiven,
                givenNoun: balance.referralsGiven == 1 ? "client" : "clients")
        }
    }
}

struct PortalReferralView {
    struct LineRow {
        var earned: String
        var rule: String
        var amount: String
        var status: String
    }

    var prospect: String
    var status: String
    var reason: String?
    var introduced: String
    var qualified: String?
    var lines: [LineRow]

    init(_ record: ReferralRecord, lines: [AccrualView]) {
        prospect = record.referral.prospectName
        status = record.status.rawValue
        reason = record.status == .lost ? record.referral.lostReason : nil
        introduced = Display.day(record.referral.introducedAt)
        qualified = record.referral.qualifiedAt.map { Display.day($0) }
        self.lines = lines.map { view in
            LineRow(
                earned: Display.day(view.accrual.line.earnedAt), rule: Display.words(view.accrual.line.rule),
                amount: view.accrual.line.amount.description, status: Display.words(view.status.rawValue))
        }
    }
}

struct PortalSubmissionView {
    var prospect: String
    var status: String
    var reason: String?
    var submitted: String
    var domain: String
    var contact: String
    var note: String?

    init(_ submission: ReferralSubmission) {
        prospect = submission.prospectName
        status = submission.status.rawValue
        reason = submission.declineReason
        submitted = Display.day(submission.submittedAt)
        domain = submission.domain
        contact = "\(submission.contactName) <\(submission.contactEmail)>"
        note = submission.note
    }
}

/// The submission form, with what the partner typed and the error beside its field.
struct SubmitView {
    var prospectName = ""
    var domain = ""
    var contactName = ""
    var contactEmail = ""
    var note = ""
    var error: String?
    var errors: [String: String] = [:]

    init() {}

    init(input: SubmissionInput, error: GatewayError) {
        prospectName = input.prospectName ?? ""
        domain = input.domain ?? ""
        contactName = input.contactName ?? ""
        contactEmail = input.contactEmail ?? ""
        note = input.note ?? ""
        self.error = "The referral was not submitted: fix the field marked below."
        if let field = error.field { errors[field] = error.message }
    }
}
