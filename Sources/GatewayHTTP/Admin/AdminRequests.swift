import Foundation
import GatewayCore
import GatewayStore
import HTTPTypes

/// `POST /admin/partners`.
struct CreatePartnerRequest: Decodable {
    var name: String
    var kind: Partner.Kind
    var specialty: Partner.Specialty?
    var payoutForm: Partner.PayoutForm?
    var email: String?
    var domains: [String]?
    var vendorIDs: [String: String]?

    enum CodingKeys: String, CodingKey {
        case name, kind, specialty, email, domains
        case payoutForm = "payout_form"
        case vendorIDs = "vendor_ids"
    }

    func draft() throws -> NewPartner {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw APIError(.badRequest, "invalid_field", "name must not be empty") }
        return NewPartner(
            name: name, kind: kind, specialty: specialty, payoutForm: payoutForm ?? .cash, email: email, domains: domains ?? [],
            vendorIDs: vendorIDs ?? [:])
    }
}

/// The terms of a plan version, as `POST /admin/plans` and `POST /admin/plans/{id}/versions` take them.
struct PlanTermsRequest: Decodable {
    var rules: [CommissionRule]
    var holdDays: Int?
    var attributionWindowDays: Int?
    /// Absent on a new plan: the first version applies to every event, however old.
    var effectiveFrom: Date?
    var tiers: [PerformanceTier]?
    var capPerReferral: Money?
    var capPerPartnerPerYear: Money?
    var excludeOneTimeLines: Bool?

    enum CodingKeys: String, CodingKey {
        case rules, tiers
        case holdDays = "hold_days"
        case attributionWindowDays = "attribution_window_days"
        case effectiveFrom = "effective_from"
        case capPerReferral = "cap_per_referral"
        case capPerPartnerPerYear = "cap_per_partner_per_year"
        case excludeOneTimeLines = "exclude_one_time_lines"
    }

    func terms(defaultEffectiveFrom: Date?) throws -> PlanTerms {
        guard !rules.isEmpty else { throw APIError(.badRequest, "invalid_field", "a plan needs at least one rule") }
        let hold = holdDays ?? PlanVersion.defaultHoldDays
        let window = attributionWindowDays ?? PlanVersion.defaultAttributionWindowDays
        guard hold >= 0, window > 0 else {
            throw APIError(.badRequest, "invalid_field", "hold_days must be 0 or more and attribution_window_days positive")
        }
        guard let effective = effectiveFrom ?? defaultEffectiveFrom else {
            throw APIError(.badRequest, "invalid_field", "a new version needs effective_from")
        }
        return PlanTerms(
            effectiveFrom: effective, rules: rules, holdDays: hold, attributionWindowDays: window, tiers: tiers ?? [],
            capPerReferral: capPerReferral, capPerPartnerPerYear: capPerPartnerPerYear, excludeOneTimeLines: excludeOneTimeLines ?? true)
    }
}

/// `POST /admin/plans`: a plan and the terms of its first version.
struct CreatePlanRequest: Decodable {
    var name: String
    var terms: PlanTermsRequest

    enum CodingKeys: String, CodingKey { case name }

    init(from decoder: any Decoder) throws {
        name = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .name)
        terms = try PlanTermsRequest(from: decoder)
    }

    func draft() throws -> NewPlan {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw APIError(.badRequest, "invalid_field", "name must not be empty") }
        return NewPlan(name: name, terms: try terms.terms(defaultEffectiveFrom: Date(timeIntervalSince1970: 0)))
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
    var claimShare: Int?

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

    func draft(now: Date) throws -> NewReferral {
        guard !prospectName.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw APIError(.badRequest, "invalid_field", "prospect_name must not be empty")
        }
        if let claimShare, claimShare < 1 { throw APIError(.badRequest, "invalid_field", "claim_share must be 1 or more") }
        return NewReferral(
            partnerID: partnerID, planID: planID, prospectName: prospectName,
            domains: (domains ?? []).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty },
            contactEmails: contactEmails ?? [], vendorIDs: vendorIDs ?? [:],
            referralCode: referralCode.flatMap { $0.isEmpty ? nil : $0 }, introducedAt: introducedAt ?? now, claimShare: claimShare ?? 1)
    }
}

/// `POST /admin/referrals/{id}/qualify` and `/lose`.
struct ReferralStepRequest: Decodable {
    var on: Date?
    var reason: String?
}

/// `POST /admin/referrals/{id}/override`.
struct OverrideRequest: Decodable {
    /// The customer as `<source>:<id>` (`stripe:cus_123`).
    var customer: String
    var reason: String

    var customerKey: String? {
        let parts = customer.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return ReferralMatchKey.vendor(source: String(parts[0]), id: String(parts[1])).storageKey
    }
}

/// `POST /admin/outbound-referrals`.
struct OutboundReferralRequest: Decodable {
    var partnerID: PartnerID
    var clientName: String
    var referredAt: Date?
    var monthlyValue: Money?
    var note: String?

    enum CodingKeys: String, CodingKey {
        case note
        case partnerID = "partner_id"
        case clientName = "client_name"
        case referredAt = "referred_at"
        case monthlyValue = "monthly_value"
    }
}

/// `POST /admin/payouts`.
struct PayoutRequest: Decodable {
    var note: String?
}

/// `POST /admin/replays`: ids, or a filter, and whether to only report.
struct ReplayRequest: Decodable {
    struct Filter: Decodable {
        var source: String?
        var status: [DeliveryStatus]?
        var eventType: String?
        var from: Date?
        var to: Date?

        enum CodingKeys: String, CodingKey {
            case source, status, from, to
            case eventType = "event_type"
        }

        func query() throws -> DeliveryQuery {
            DeliveryQuery(source: source, statuses: status ?? [], eventType: eventType, receivedFrom: from, receivedBefore: to)
        }
    }

    var deliveryIDs: [Int64]?
    var filter: Filter?
    var dryRun: Bool?
    var background: Bool?

    enum CodingKeys: String, CodingKey {
        case filter, background
        case deliveryIDs = "delivery_ids"
        case dryRun = "dry_run"
    }
}
