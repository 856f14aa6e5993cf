public import Foundation
public import GatewayCore

/// A referral as a partner submits it in the portal (or an API client on its behalf).
public struct SubmissionInput: Sendable, Hashable, Decodable {
    public var prospectName: String?
    public var domain: String?
    public var contactName: String?
    public var contactEmail: String?
    public var note: String?

    public init(prospectName: String?, domain: String?, contactName: String?, contactEmail: String?, note: String? = nil) {
        self.prospectName = prospectName
        self.domain = domain
        self.contactName = contactName
        self.contactEmail = contactEmail
        self.note = note
    }

    enum CodingKeys: String, CodingKey {
        case domain, note
        case prospectName = "prospect_name"
        case contactName = "contact_name"
        case contactEmail = "contact_email"
    }
}

extension ProgramValidation {
    /// The longest note a partner may leave with a submission.
    public static let maxSubmissionNote = 2_000

    /// A submission by `partner`, checked with the same field rules as a referral the admin
    /// records; the prospect must not be the partner's own company.
    public static func submission(_ input: SubmissionInput, by partner: Partner, at now: Date) throws(GatewayError) -> ReferralSubmission {
        let prospect = try required(input.prospectName, "prospect_name")
        guard let domain = try domains([try required(input.domain, "domain")], field: "domain").first else {
            throw .invalid("domain must not be empty", field: "domain")
        }
        let contact = try required(input.contactName, "contact_name")
        let email = try self.email(try required(input.contactEmail, "contact_email"), "contact_email")
        let note = input.note?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (note?.count ?? 0) <= maxSubmissionNote else {
            throw .invalid("note must be at most \(maxSubmissionNote) characters", field: "note")
        }
        let submission = ReferralSubmission(
            id: SubmissionID(0), partnerID: partner.id, prospectName: prospect, domain: domain, contactName: contact, contactEmail: email,
            note: note?.isEmpty == false ? note : nil, submittedAt: now)
        guard partner.ownKeys.isDisjoint(with: submission.referral(plan: PlanID(0)).matchKeys.map(\.storageKey)) else {
            throw GatewayError(.refused, "\(domain) is your own company; a partner cannot refer itself", field: "domain")
        }
        return submission
    }
}
