public import Foundation
public import GatewayCore

// What admins send to change the program, from the admin API's JSON, the command line's flags,
// the console's forms or an import's rows alike. Every field arrives as typed (strings for
// kinds and dates), so one validation in `ProgramService` gives every surface the same answer.

/// A partner to register.
public struct PartnerInput: Sendable, Hashable, Decodable {
    public var name: String?
    /// One of `Partner.Kind`'s values.
    public var kind: String?
    public var specialty: String?
    public var payoutForm: String?
    public var email: String?
    /// The partner's own company domains: referrals of them are refused as self-referrals.
    public var domains: [String]?
    /// The partner's own ids in vendor systems, by source.
    public var vendorIDs: [String: String]?

    public init(
        name: String?, kind: String?, specialty: String? = nil, payoutForm: String? = nil, email: String? = nil, domains: [String]? = nil,
        vendorIDs: [String: String]? = nil
    ) {
        self.name = name
        self.kind = kind
        self.specialty = specialty
        self.payoutForm = payoutForm
        self.email = email
        self.domains = domains
        self.vendorIDs = vendorIDs
    }

    enum CodingKeys: String, CodingKey {
        case name, kind, specialty, email, domains
        case payoutForm = "payout_form"
        case vendorIDs = "vendor_ids"
    }
}

/// A plan to create: a unique name and the terms of its first version.
public struct PlanInput: Sendable, Hashable, Decodable {
    public var name: String?
    public var terms: PlanTerms

    public init(name: String?, terms: PlanTerms) {
        self.name = name
        self.terms = terms
    }

    enum CodingKeys: String, CodingKey { case name }

    /// The terms stand beside the name in one JSON object.
    public init(from decoder: any Decoder) throws {
        name = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .name)
        terms = try PlanTerms(from: decoder)
    }
}

/// A referral to record.
public struct ReferralInput: Sendable, Hashable, Decodable {
    public var partnerID: Int64?
    public var planID: Int64?
    public var prospectName: String?
    public var domains: [String]?
    public var contactEmails: [String]?
    public var vendorIDs: [String: String]?
    public var referralCode: String?
    /// A day or an ISO 8601 timestamp; now when absent.
    public var introducedAt: String?
    /// The claim's share when competing claims split a company: above 0, at most 1 (the whole).
    public var claimShare: Decimal?

    public init(
        partnerID: Int64?, planID: Int64?, prospectName: String?, domains: [String]? = nil, contactEmails: [String]? = nil,
        vendorIDs: [String: String]? = nil, referralCode: String? = nil, introducedAt: String? = nil, claimShare: Decimal? = nil
    ) {
        self.partnerID = partnerID
        self.planID = planID
        self.prospectName = prospectName
        self.domains = domains
        self.contactEmails = contactEmails
        self.vendorIDs = vendorIDs
        self.referralCode = referralCode
        self.introducedAt = introducedAt
        self.claimShare = claimShare
    }

    enum CodingKeys: String, CodingKey {
        case domains
        case partnerID = "partner_id"
        case planID = "plan_id"
        case prospectName = "prospect_name"
        case contactEmails = "contact_emails"
        case vendorIDs = "vendor_ids"
        case referralCode = "referral_code"
        case introducedAt = "introduced_at"
        case claimShare = "claim_share"
    }
}

/// Work the MSP sent to a partner (the "give" of give and get).
public struct OutboundReferralInput: Sendable, Hashable, Decodable {
    public var partnerID: Int64?
    public var clientName: String?
    /// A day or an ISO 8601 timestamp; now when absent.
    public var referredAt: String?
    public var monthlyValue: Money?
    public var note: String?

    public init(partnerID: Int64?, clientName: String?, referredAt: String? = nil, monthlyValue: Money? = nil, note: String? = nil) {
        self.partnerID = partnerID
        self.clientName = clientName
        self.referredAt = referredAt
        self.monthlyValue = monthlyValue
        self.note = note
    }

    enum CodingKeys: String, CodingKey {
        case note
        case partnerID = "partner_id"
        case clientName = "client_name"
        case referredAt = "referred_at"
        case monthlyValue = "monthly_value"
    }
}

/// A review meeting with a client of the roster.
public struct ClientReviewInput: Sendable, Hashable, Decodable {
    /// The client's roster key (`domain:brightdental.example`).
    public var client: String?
    /// A day or an ISO 8601 timestamp; today when absent.
    public var reviewedOn: String?
    /// One of `ClientReview.Outcome`'s values.
    public var outcome: String?
    public var note: String?

    public init(client: String?, reviewedOn: String? = nil, outcome: String?, note: String? = nil) {
        self.client = client
        self.reviewedOn = reviewedOn
        self.outcome = outcome
        self.note = note
    }

    enum CodingKeys: String, CodingKey {
        case client, outcome, note
        case reviewedOn = "reviewed_on"
    }
}

/// A change to the program settings: the fields given replace the current ones and the others
/// stay, so changing the give-and-get ratio never resets the conflict rule.
public struct SettingsInput: Sendable, Hashable, Decodable {
    /// `ProgramSettings.conflictRule`; the fields below are `ProgramSettings`' of the same names.
    public var conflictRule: ProgramSettings.ConflictRule?
    /// Replaces every threshold when given.
    public var approvalThresholds: [String: Int64]?
    public var giveGetRatio: Int?
    public var giveGetWindowMonths: Int?
    public var askWindowDays: Int?
    /// The go-live date: a day (`2026-12-01`) or an ISO 8601 timestamp, or `none` to remove it.
    public var goLive: String?

    /// What `goLive` says to clear the go-live date.
    public static let noGoLive = "none"

    public init(
        conflictRule: ProgramSettings.ConflictRule? = nil, approvalThresholds: [String: Int64]? = nil, giveGetRatio: Int? = nil,
        giveGetWindowMonths: Int? = nil, askWindowDays: Int? = nil, goLive: String? = nil
    ) {
        self.conflictRule = conflictRule
        self.approvalThresholds = approvalThresholds
        self.giveGetRatio = giveGetRatio
        self.giveGetWindowMonths = giveGetWindowMonths
        self.askWindowDays = askWindowDays
        self.goLive = goLive
    }

    /// `settings` with the given fields replaced, or `GatewayError.invalid` for a go-live date
    /// that is not a date.
    public func applied(to settings: ProgramSettings) throws(GatewayError) -> ProgramSettings {
        var settings = settings
        if let conflictRule { settings.conflictRule = conflictRule }
        if let approvalThresholds { settings.approvalThresholds = approvalThresholds }
        if let giveGetRatio { settings.giveGetRatio = giveGetRatio }
        if let giveGetWindowMonths { settings.giveGetWindowMonths = giveGetWindowMonths }
        if let askWindowDays { settings.askWindowDays = askWindowDays }
        if let goLive {
            let cleared = goLive.trimmingCharacters(in: .whitespaces).lowercased() == Self.noGoLive
            settings.goLive = cleared ? nil : try DateInput.parse(goLive, field: "go_live")
        }
        return settings
    }

    enum CodingKeys: String, CodingKey {
        case conflictRule = "conflict_rule"
        case approvalThresholds = "approval_thresholds"
        case giveGetRatio = "give_get_ratio"
        case giveGetWindowMonths = "give_get_window_months"
        case askWindowDays = "ask_window_days"
        case goLive = "go_live"
    }
}
