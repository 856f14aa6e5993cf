import Foundation
import GatewayCore
import GatewayStore
import HTTPTypes

/// `POST /admin/partners`.
struct CreatePartnerRequest: Decodable {
    var name: String
    var kind: Partner.Kind
    var payoutForm: Partner.PayoutForm?
    var email: String?

    enum CodingKeys: String, CodingKey {
        case name, kind, email
        case payoutForm = "payout_form"
    }

    func draft() throws -> NewPartner {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw APIError(.badRequest, "invalid_field", "name must not be empty") }
        return NewPartner(name: name, kind: kind, payoutForm: payoutForm ?? .cash, email: email)
    }
}

/// `POST /admin/plans`: a plan and the terms of its first version.
struct CreatePlanRequest: Decodable {
    var name: String
    var rules: [CommissionRule]
    var holdDays: Int?
    var attributionWindowDays: Int?
    /// Absent: the first version applies to every event, however old.
    var effectiveFrom: Date?

    enum CodingKeys: String, CodingKey {
        case name, rules
        case holdDays = "hold_days"
        case attributionWindowDays = "attribution_window_days"
        case effectiveFrom = "effective_from"
    }

    func draft() throws -> NewPlan {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw APIError(.badRequest, "invalid_field", "name must not be empty") }
        guard !rules.isEmpty else { throw APIError(.badRequest, "invalid_field", "a plan needs at least one rule") }
        let hold = holdDays ?? PlanVersion.defaultHoldDays
        let window = attributionWindowDays ?? PlanVersion.defaultAttributionWindowDays
        guard hold >= 0, window > 0 else {
            throw APIError(.badRequest, "invalid_field", "hold_days must be 0 or more and attribution_window_days positive")
        }
        return NewPlan(
            name: name, effectiveFrom: effectiveFrom ?? Date(timeIntervalSince1970: 0), rules: rules, holdDays: hold,
            attributionWindowDays: window)
    }
}

/// `POST /admin/referrals`.
struct CreateReferralRequest: Decodable {
    var partnerID: PartnerID
    var planID: PlanID
    var prospectName: String
    var domains: [String]?
    var contactEmails: [String]?
    var vendorIDs: [String: String]?
    var referralCode: String?
    var introducedAt: Date?

    enum CodingKeys: String, CodingKey {
        case domains
        case partnerID = "partner_id"
        case planID = "plan_id"
        case prospectName = "prospect_name"
        case contactEmails = "contact_emails"
        case vendorIDs = "vendor_ids"
        case referralCode = "referral_code"
        case introducedAt = "introduced_at"
    }

    func draft(now: Date) throws -> NewReferral {
        guard !prospectName.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw APIError(.badRequest, "invalid_field", "prospect_name must not be empty")
        }
        return NewReferral(
            partnerID: partnerID, planID: planID, prospectName: prospectName,
            domains: (domains ?? []).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty },
            contactEmails: contactEmails ?? [], vendorIDs: vendorIDs ?? [:],
            referralCode: referralCode.flatMap { $0.isEmpty ? nil : $0 }, introducedAt: introducedAt ?? now)
    }
}
