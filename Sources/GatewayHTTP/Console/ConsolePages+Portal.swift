import Foundation
import GatewayCore
import GatewayEngine
import GatewayViews
import Hummingbird

/// The console's pages for the partner side: submissions to review, and portal links.
extension ConsolePages {
    struct SubmissionsView {
        struct Row {
            var id: Int64
            var partner: String
            var prospect: String
            var domain: String
            var contact: String
            var note: String
            var submitted: String
            var status: String
            var waiting: Bool
            var decision: String
            var checks: [String]
        }

        struct PlanOption {
            var id: Int64
            var name: String
        }

        var rows: [Row]
        var plans: [PlanOption]
    }

    struct PortalLinkView {
        var partner: String
        var partnerID: Int64
        var url: String
        var expires: String
    }

    /// Every submission, those waiting first, each with its claim checks and the forms to decide it.
    func submissions(notice: String?, session: ConsoleSessionService.Session) async throws -> Response {
        let reviews = try await PortalService(store: store).submissionsForReview()
        let view = SubmissionsView(
            rows: reviews.sorted { ($0.submission.status == .submitted ? 0 : 1, -$0.submission.id.rawValue) < ($1.submission.status == .submitted ? 0 : 1, -$1.submission.id.rawValue) }
                .map { review in
                    let submission = review.submission
                    let decision: String =
                        switch submission.status {
                        case .submitted: ""
                        case .accepted: "accepted \(Display.day(submission.decidedAt)) as referral \(submission.referralID.map { "\($0)" } ?? "")"
                        case .declined: "declined \(Display.day(submission.decidedAt)): \(submission.declineReason ?? "")"
                        }
                    return .init(
                        id: submission.id.rawValue, partner: review.partnerName, prospect: submission.prospectName, domain: submission.domain,
                        contact: "\(submission.contactName) <\(submission.contactEmail)>", note: submission.note ?? "",
                        submitted: Display.day(submission.submittedAt), status: submission.status.rawValue, waiting: submission.status == .submitted,
                        decision: decision, checks: review.checks)
                },
            plans: try await program.plans().map { .init(id: $0.id.rawValue, name: $0.name) })
        let message: String? =
            switch notice {
            case "accepted": "Accepted: the referral is recorded and the partner sees it."
            case "declined": "Declined: the partner sees the reason."
            default: nil
            }
        return render("submissions", .init(title: "Submissions", csrf: session.csrf, notice: message), view)
    }

    /// A link just issued, shown this once.
    func portalLink(_ link: IssuedPortalLink, session: ConsoleSessionService.Session) async throws -> Response {
        let partner = try await program.partner(link.partnerID)
        let view = PortalLinkView(partner: partner.name, partnerID: partner.id.rawValue, url: link.url, expires: Display.day(link.expiresAt))
        return render("portalLinkIssued", .init(title: "Portal link", csrf: session.csrf), view)
    }
}
