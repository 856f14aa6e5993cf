public import Foundation
public import GatewayCore

/// The rules every program input must follow, wherever it came from. Pure: what exists in the
/// store (partners, plans) is checked by `ProgramService`.
public enum ProgramValidation {
    public static func partner(_ input: PartnerInput, at now: Date) throws(GatewayError) -> Partner {
        let name = try required(input.name, "name")
        let kind = try choice(input.kind, "kind", Partner.Kind.self)
        let specialty = try input.specialty.map { text throws(GatewayError) in try choice(text, "specialty", Partner.Specialty.self) }
        let payout = try input.payoutForm.map { text throws(GatewayError) in try choice(text, "payout_form", Partner.PayoutForm.self) } ?? .cash
        let email = try input.email.map { text throws(GatewayError) in try self.email(text, "email") }
        return Partner(
            id: PartnerID(0), name: name, kind: kind, specialty: specialty, payoutForm: payout, email: email, domains: try domains(input.domains),
            vendorIDs: try vendorIDs(input.vendorIDs), createdAt: now)
    }

    /// Terms as a plan or a version may hold them.
    public static func terms(_ terms: PlanTerms) throws(GatewayError) -> PlanTerms {
        guard !terms.rules.isEmpty else { throw .invalid("a plan needs at least one rule") }
        guard terms.holdDays >= 0 else { throw .invalid("hold_days must be 0 or more", field: "hold_days") }
        guard terms.attributionWindowDays > 0 else { throw .invalid("attribution_window_days must be 1 or more", field: "attribution_window_days") }
        for rule in terms.rules {
            switch rule {
            case .recurringShare(let steps):
                guard !steps.isEmpty else { throw .invalid("a recurring share needs at least one step") }
                for (index, step) in steps.enumerated() {
                    try rate(step.rate, "a recurring share's rate")
                    if let months = step.months, months < 1 { throw .invalid("months must be 1 or more, or absent for the life of the contract") }
                    if step.months == nil, index != steps.count - 1 { throw .invalid("only the last step may run for the life of the contract") }
                }
            case .firstYearValue(let share): try rate(share, "the first-year rate")
            case .finderFee(let amount), .qualifiedMeeting(let amount), .firstReferralBonus(let amount), .clientCredit(let amount):
                try positive(amount, "the \(rule.name.replacingOccurrences(of: "_", with: " ")) amount")
            }
        }
        for tier in terms.tiers {
            guard tier.minConversions >= 1 else { throw .invalid("a tier's conversions must be 1 or more") }
            try rate(tier.bonus, "a tier's bonus")
        }
        if let cap = terms.capPerReferral { try positive(cap, "cap_per_referral") }
        if let cap = terms.capPerPartnerPerYear { try positive(cap, "cap_per_partner_per_year") }
        return terms
    }

    /// A referral as recorded, before the store's checks (partner, plan, self-referral).
    public static func referral(_ input: ReferralInput, at now: Date) throws(GatewayError) -> Referral {
        guard let partner = input.partnerID else { throw .invalid("partner_id is required", field: "partner_id") }
        guard let plan = input.planID else { throw .invalid("plan_id is required", field: "plan_id") }
        let prospect = try required(input.prospectName, "prospect_name")
        var share = (input.claimShare ?? 1) * Decimal(Referral.wholeClaim)
        var basisPoints = Decimal()
        NSDecimalRound(&basisPoints, &share, 0, .plain)
        // At least one basis point of the whole, so no claim rounds to nothing.
        guard basisPoints >= 1, basisPoints <= Decimal(Referral.wholeClaim) else {
            throw .invalid("claim_share must be above 0 and at most 1 (the whole claim), in steps of 0.0001", field: "claim_share")
        }
        let emails = try (input.contactEmails ?? []).map { text throws(GatewayError) in try email(text, "contact_emails") }
        let code = input.referralCode?.trimmingCharacters(in: .whitespaces)
        return Referral(
            id: ReferralID(0), partnerID: PartnerID(partner), planID: PlanID(plan), prospectName: prospect, domains: try domains(input.domains),
            contactEmails: emails, vendorIDs: try vendorIDs(input.vendorIDs), referralCode: code?.isEmpty == false ? code : nil,
            introducedAt: try DateInput.parseIfPresent(input.introducedAt, field: "introduced_at") ?? now,
            claimShare: NSDecimalNumber(decimal: basisPoints).intValue)
    }

    public static func settings(_ settings: ProgramSettings) throws(GatewayError) -> ProgramSettings {
        for (currency, threshold) in settings.approvalThresholds {
            guard CurrencyCode(currency) != nil else { throw .invalid("approval threshold currency \(currency) is not an ISO 4217 code") }
            guard threshold >= 0 else { throw .invalid("approval thresholds must be 0 or more") }
        }
        guard (1...100).contains(settings.giveGetRatio) else { throw .invalid("give_get_ratio must be 1 to 100 (3 means 3 to 1)", field: "give_get_ratio") }
        guard (1...60).contains(settings.giveGetWindowMonths) else { throw .invalid("give_get_window_months must be 1 to 60", field: "give_get_window_months") }
        _ = try askWindowDays(settings.askWindowDays)
        return settings
    }

    /// How far back "who to ask next" looks: 1 to 365 days.
    public static func askWindowDays(_ days: Int) throws(GatewayError) -> Int {
        guard (1...365).contains(days) else { throw .invalid("ask_window_days must be 1 to 365", field: "ask_window_days") }
        return days
    }

    /// Refuses a referral of the partner's own company.
    /// Refuses new business for a deactivated partner (what it already earns stays).
    public static func takesReferrals(_ partner: Partner) throws(GatewayError) {
        guard partner.isActive else {
            throw .refused("partner \(partner.id) (\(partner.name)) is deactivated: reactivate it to take new referrals")
        }
    }

    public static func notSelfReferral(_ referral: Referral, by partner: Partner) throws(GatewayError) {
        let own = partner.ownKeys.intersection(referral.matchKeys.map(\.storageKey))
        guard own.isEmpty else {
            throw .refused("self-referral: \(own.sorted().joined(separator: ", ")) identifies partner \(partner.id) itself")
        }
    }

    /// An outbound referral as given (its id is assigned by the store).
    public static func outboundReferral(_ input: OutboundReferralInput, at now: Date) throws(GatewayError) -> OutboundReferral {
        guard let partnerID = input.partnerID else { throw .invalid("partner_id is required") }
        let client = try required(input.clientName, "client_name")
        let date = try DateInput.parseIfPresent(input.referredAt, field: "referred_at") ?? now
        if let value = input.monthlyValue, value.minorUnits <= 0 { throw .invalid("monthly_value must be more than zero") }
        let note = input.note?.trimmingCharacters(in: .whitespaces)
        return OutboundReferral(
            id: 0, partnerID: PartnerID(partnerID), clientName: client, referredAt: date, monthlyValue: input.monthlyValue,
            note: note?.isEmpty == false ? note : nil)
    }

    /// A client review as given (its id is assigned by the store; the client is checked against
    /// the roster by the caller).
    public static func clientReview(_ input: ClientReviewInput, at now: Date) throws(GatewayError) -> ClientReview {
        let client = try required(input.client, "client")
        let outcome = try choice(input.outcome, "outcome", ClientReview.Outcome.self)
        let day = try DateInput.parseIfPresent(input.reviewedOn, field: "reviewed_on") ?? now
        let note = input.note?.trimmingCharacters(in: .whitespaces)
        return ClientReview(id: 0, client: client, reviewedOn: day, outcome: outcome, note: note?.isEmpty == false ? note : nil)
    }

    /// `<source>:<id>` (`stripe:cus_123`) as the customer's key.
    public static func customerKey(_ text: String?) throws(GatewayError) -> String {
        let parts = (text ?? "").split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .invalid("customer must be <source>:<id>, e.g. stripe:cus_123")
        }
        return ReferralMatchKey.vendor(source: parts[0], id: parts[1]).storageKey
    }

    // MARK: Fields

    /// A text that must be there, trimmed.
    public static func required(_ text: String?, _ field: String) throws(GatewayError) -> String {
        let trimmed = (text ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .invalid("\(field) must not be empty", field: field) }
        return trimmed
    }

    /// One of an enumeration's raw values.
    public static func choice<Value: RawRepresentable & CaseIterable>(
        _ text: String?, _ field: String, _ type: Value.Type
    ) throws(GatewayError) -> Value where Value.RawValue == String {
        let trimmed = (text ?? "").trimmingCharacters(in: .whitespaces)
        guard let value = Value(rawValue: trimmed) else {
            let known = Value.allCases.map(\.rawValue).joined(separator: ", ")
            throw .invalid(
                trimmed.isEmpty ? "\(field) is required: one of \(known)" : "\(field) must be one of \(known), not '\(trimmed.prefix(40))'", field: field)
        }
        return value
    }

    static func email(_ text: String, _ field: String) throws(GatewayError) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !trimmed.contains(" ") else {
            throw .invalid("\(field) must be an address like name@example.com, not '\(trimmed.prefix(60))'", field: field)
        }
        return trimmed
    }

    static func domains(_ domains: [String]?, field: String = "domains") throws(GatewayError) -> [String] {
        try (domains ?? []).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }.map { domain throws(GatewayError) in
            guard domain.contains("."), !domain.contains(" "), !domain.contains("@"), !domain.contains("/") else {
                throw .invalid("\(field) must be company domains like brightdental.example, not '\(domain.prefix(60))'", field: field)
            }
            return domain
        }
    }

    static func vendorIDs(_ ids: [String: String]?) throws(GatewayError) -> [String: String] {
        var clean: [String: String] = [:]
        for (source, id) in ids ?? [:] {
            let source = source.trimmingCharacters(in: .whitespaces)
            let id = id.trimmingCharacters(in: .whitespaces)
            guard !source.isEmpty, !id.isEmpty else { throw .invalid("vendor ids must be source=id, e.g. stripe=cus_123") }
            clean[source] = id
        }
        return clean
    }

    static func rate(_ rate: BasisPoints, _ what: String) throws(GatewayError) {
        guard rate.value > 0, rate.value <= 10_000 else { throw .invalid("\(what) must be above 0% and at most 100%, not \(rate)") }
    }

    static func positive(_ amount: Money, _ what: String) throws(GatewayError) {
        guard amount.minorUnits > 0 else { throw .invalid("\(what) must be more than zero") }
    }
}
