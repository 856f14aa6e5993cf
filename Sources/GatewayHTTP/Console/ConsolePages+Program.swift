import Foundation
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayViews
import HTTPTypes
import Hummingbird

/// The console's pages to run the program: referrals, plans and settings, each with its forms.
/// After a refusal a page is drawn again with the refused form as it was sent.
extension ConsolePages {
    typealias Refusal = ConsoleForm.Refusal

    /// What a `notice` in the address says once a form went through.
    static let notices: [String: String] = [
        "partner-added": "Partner added.", "partner-saved": "Partner saved.", "partner-deactivated": "Partner deactivated: it takes no new referrals.",
        "partner-reactivated": "Partner reactivated.", "outbound-added": "Referral to the partner recorded.", "referral-added": "Referral recorded.",
        "referral-qualified": "Meeting recorded: the referral is qualified.", "referral-lost": "Referral marked lost.",
        "referral-overridden": "Attribution overridden.", "plan-added": "Plan created.", "version-added": "Plan version added.",
        "settings-saved": "Settings saved.",
    ]

    func work(_ title: String, _ view: WorkPageView, notice: String?, session: ConsoleSessionService.Session, status: HTTPResponse.Status = .ok) -> Response {
        var response = render("work", .init(title: title, csrf: session.csrf, notice: notice.flatMap { Self.notices[$0] }), view)
        response.status = status
        return response
    }

    // MARK: Partners

    static func partnerForm(_ partner: Partner?, action: String, name: String, submit: String) -> ConsoleForm {
        ConsoleForm(
            name: name, action: action, submit: submit,
            fields: [
                .input("name", "Name", value: partner?.name ?? "", required: true),
                .select("kind", "Kind", Partner.Kind.allCases.map { ($0.rawValue, Display.kind($0)) }, value: partner?.kind.rawValue ?? Partner.Kind.client.rawValue),
                .select(
                    "specialty", "Specialty", [("", "none")] + Partner.Specialty.allCases.map { ($0.rawValue, Display.words($0.rawValue)) },
                    value: partner?.specialty?.rawValue ?? ""),
                .select(
                    "payout_form", "Payout form", Partner.PayoutForm.allCases.map { ($0.rawValue, Display.words($0.rawValue)) },
                    value: partner?.payoutForm.rawValue ?? Partner.PayoutForm.cash.rawValue),
                .input("email", "E-mail", type: "email", value: partner?.email ?? ""),
                .input(
                    "domains", "Own domains", value: partner?.domains.joined(separator: ", ") ?? "",
                    help: "the partner's own company domains, comma-separated: referrals of them are refused"),
            ])
    }

    static func outboundForm(partner: PartnerID) -> ConsoleForm {
        ConsoleForm(
            name: "outbound", action: "/console/partners/\(partner)/outbound", submit: "Record",
            fields: [
                .input("client_name", "Client we sent", required: true), .input("referred_at", "On", type: "date"),
                .input("monthly_value", "Monthly value", help: "e.g. 300 USD"), .input("note", "Note"),
            ])
    }

    // MARK: Referrals

    func referrals(notice: String?, refusal: Refusal? = nil, session: ConsoleSessionService.Session) async throws -> Response {
        let date = now()
        let partners = try await program.partners()
        let plans = try await program.plans()
        let partnerNames = Dictionary(uniqueKeysWithValues: partners.map { ($0.id, $0.name) })
        let planNames = Dictionary(uniqueKeysWithValues: plans.map { ($0.id, $0.name) })
        let rows = try await program.referrals(at: date).sorted { $0.referral.id.rawValue > $1.referral.id.rawValue }.map { record in
            let referral = record.referral
            return WorkPageView.Row(
                key: "\(referral.id)",
                cells: [
                    .init(text: "\(referral.id)", link: "/console/referrals/\(referral.id)"),
                    .init(text: referral.prospectName, link: "/console/referrals/\(referral.id)"),
                    .init(text: partnerNames[referral.partnerID] ?? "partner \(referral.partnerID)", link: "/console/partners/\(referral.partnerID)"),
                    .init(text: planNames[referral.planID] ?? "plan \(referral.planID)"), .init(text: referral.domains.joined(separator: ", ")),
                    .init(text: Display.day(referral.introducedAt)), .init(text: record.status.rawValue),
                    .init(text: record.flags.joined(separator: "; ")),
                ])
        }
        let add = ConsoleForm(
            name: "add", action: "/console/referrals", submit: "Record the referral",
            fields: [
                .select("partner_id", "Partner", partners.filter(\.isActive).map { ("\($0.id)", $0.name) }),
                .select("plan_id", "Plan", plans.map { ("\($0.id)", $0.name) }),
                .input("prospect_name", "Prospect", required: true),
                .input("domains", "Domains", help: "the prospect's company domains, comma-separated"),
                .input("contact_emails", "Contact e-mails", help: "comma-separated"),
                .input("introduced_at", "Introduced on", type: "date", help: "today when empty"),
                .input("referral_code", "Referral code"),
            ]
        ).refused(refusal)
        let view = WorkPageView(
            heading: "Referrals", intro: "Every referral with its status today. Open one to record a meeting, mark it lost, or override its attribution.",
            tables: [
                .init(
                    cssClass: "referrals", headers: ["Id", "Prospect", "Partner", "Plan", "Domains", "Introduced", "Status", "Flags"], rows: rows,
                    empty: "No referrals yet.")
            ],
            sections: [.init(heading: "Record a referral", note: nil, form: add)])
        return work("Referrals", view, notice: notice, session: session, status: refusal?.error.status ?? .ok)
    }

    func referral(_ id: ReferralID, notice: String?, refusal: Refusal? = nil, session: ConsoleSessionService.Session) async throws -> Response {
        let date = now()
        guard let record = try await program.referrals(at: date).first(where: { $0.referral.id == id }) else {
            throw GatewayError.notFound("referral \(id) does not exist")
        }
        let referral = record.referral
        let partner = try await program.partner(referral.partnerID)
        let plan = try await program.plans().first { $0.id == referral.planID }
        let facts: [(String, String, String?)] = [
            ("Partner", partner.name, "/console/partners/\(partner.id)"), ("Plan", plan?.name ?? "plan \(referral.planID)", nil),
            ("Status", record.status.rawValue, nil), ("Introduced", Display.day(referral.introducedAt), nil),
            ("Meeting held", referral.qualifiedAt.map { Display.day($0) } ?? "not yet", nil),
            ("Lost", referral.lostAt.map { "\(Display.day($0)): \(referral.lostReason ?? "")" } ?? "no", nil),
            ("Domains", referral.domains.joined(separator: ", "), nil), ("Contact e-mails", referral.contactEmails.joined(separator: ", "), nil),
            ("Flags", record.flags.joined(separator: "; "), nil),
        ]
        let base = "/console/referrals/\(id)"
        let sections: [ConsoleFormSection] = [
            .init(
                heading: "Record the meeting", note: "A qualified meeting earns the plan's meeting reward, if it has one.",
                form: ConsoleForm(name: "qualify", action: "\(base)/qualify", submit: "Qualify", fields: [.input("on", "Held on", type: "date", help: "today when empty")])
                    .refused(refusal)),
            .init(
                heading: "Mark it lost", note: "The partner sees the reason in the portal.",
                form: ConsoleForm(
                    name: "lose", action: "\(base)/lose", submit: "Mark lost",
                    fields: [.input("reason", "Reason"), .input("on", "On", type: "date", help: "today when empty")]
                ).refused(refusal)),
            .init(
                heading: "Override the attribution",
                note: "Give this referral a customer that matching missed, by the key a stored event names it by (vendor:stripe:cus_…, domain:…).",
                form: ConsoleForm(
                    name: "override", action: "\(base)/override", submit: "Override",
                    fields: [.input("customer", "Customer", required: true), .input("reason", "Reason", required: true)]
                ).refused(refusal)),
        ]
        let view = WorkPageView(
            heading: referral.prospectName, intro: nil,
            tables: [
                .init(
                    cssClass: "facts", headers: ["", ""], rows: facts.map { .init(key: $0.0, cells: [.init(text: $0.0), .init(text: $0.1, link: $0.2)]) },
                    empty: "")
            ], sections: sections)
        return work(referral.prospectName, view, notice: notice, session: session, status: refusal?.error.status ?? .ok)
    }

    // MARK: Plans

    static func termsFields(_ terms: PlanTerms?) -> [ConsoleForm.Field] {
        [
            .input("rate", "Recurring share", help: "of each collected payment, e.g. 10%"),
            .input("months", "for months", type: "number", help: "empty: the life of the contract"),
            .input("then_rate", "then", help: "share after those months, e.g. 5%"),
            .input("finder_fee", "Finder's fee", help: "at signing, e.g. 250 USD"),
            .input("first_year_rate", "Share of first-year value", help: "paid at signing, e.g. 15%"),
            .input("qualified_reward", "Meeting reward", help: "e.g. 100 USD"),
            .input("first_referral_bonus", "First-referral bonus", help: "e.g. 100 USD"),
            .input("client_credit", "Credit for the referred client", help: "e.g. 200 USD"),
            .input("tiers", "Tiers", help: "conversions:bonus, comma-separated, e.g. 3:2.5%, 6:5%"),
            .input("cap_per_referral", "Cap per referral", help: "e.g. 5000 USD"),
            .input("cap_per_partner_per_year", "Cap per partner per year", help: "e.g. 20000 USD"),
            .select("include_one_time_lines", "One-time lines (setup fees)", [("no", "not counted"), ("yes", "counted")]),
            .input("hold_days", "Hold days", type: "number", value: "\(terms?.holdDays ?? PlanTerms.defaultHoldDays)"),
            .input(
                "attribution_window_days", "Attribution window (days)", type: "number",
                value: "\(terms?.attributionWindowDays ?? PlanTerms.defaultAttributionWindowDays)"),
        ]
    }

    /// The terms a plan form states, read by the engine.
    static func termsInput(_ fields: [String: String]) -> PlanTermsInput {
        PlanTermsInput(
            rate: fields["rate"], months: fields["months"], thenRate: fields["then_rate"], finderFee: fields["finder_fee"],
            firstYearRate: fields["first_year_rate"], qualifiedReward: fields["qualified_reward"], firstReferralBonus: fields["first_referral_bonus"],
            clientCredit: fields["client_credit"], tiers: (fields["tiers"] ?? "").split(separator: ",").map(String.init),
            capPerReferral: fields["cap_per_referral"], capPerPartnerPerYear: fields["cap_per_partner_per_year"],
            includeOneTimeLines: fields["include_one_time_lines"] == "yes", holdDays: fields["hold_days"],
            attributionWindowDays: fields["attribution_window_days"])
    }

    static func rules(_ terms: PlanTerms) -> String {
        var parts = terms.rules.map { rule -> String in
            switch rule {
            case .recurringShare(let steps):
                steps.map { step in "\(step.rate) of payments" + (step.months.map { " for \($0) months" } ?? " for the contract's life") }
                    .joined(separator: ", then ")
            case .finderFee(let amount): "finder's fee \(amount)"
            case .firstYearValue(let rate): "\(rate) of first-year value"
            case .qualifiedMeeting(let amount): "meeting reward \(amount)"
            case .firstReferralBonus(let amount): "first-referral bonus \(amount)"
            case .clientCredit(let amount): "client credit \(amount)"
            }
        }
        parts += terms.tiers.map { "tier: \($0.minConversions) conversions +\($0.bonus)" }
        if let cap = terms.capPerReferral { parts.append("cap \(cap) per referral") }
        if let cap = terms.capPerPartnerPerYear { parts.append("cap \(cap) per partner a year") }
        return parts.joined(separator: "; ")
    }

    func plans(notice: String?, refusal: Refusal? = nil, session: ConsoleSessionService.Session) async throws -> Response {
        let rows = try await program.plans().flatMap { plan in
            plan.versions.map { version in
                WorkPageView.Row(
                    key: "\(plan.id)-\(version.version)",
                    cells: [
                        .init(text: plan.name, link: "/console/plans/\(plan.id)"), .init(text: "\(version.version)"),
                        .init(text: Display.day(version.terms.effectiveFrom)), .init(text: Self.rules(version.terms)),
                        .init(text: "\(version.terms.holdDays)"), .init(text: "\(version.terms.attributionWindowDays)"),
                    ])
            }
        }
        let add = ConsoleForm(name: "add", action: "/console/plans", submit: "Create the plan", fields: [.input("name", "Name", required: true)] + Self.termsFields(nil))
            .refused(refusal)
        let view = WorkPageView(
            heading: "Commission plans", intro: "A plan's terms change by a new version from a date; what was earned before it keeps its version.",
            tables: [
                .init(
                    cssClass: "plans", headers: ["Plan", "Version", "Effective", "Rules", "Hold days", "Window (days)"], rows: rows,
                    empty: "No plans yet.")
            ],
            sections: [.init(heading: "Create a plan", note: nil, form: add)])
        return work("Plans", view, notice: notice, session: session, status: refusal?.error.status ?? .ok)
    }

    func plan(_ id: PlanID, notice: String?, refusal: Refusal? = nil, session: ConsoleSessionService.Session) async throws -> Response {
        guard let plan = try await program.plans().first(where: { $0.id == id }) else { throw GatewayError.notFound("plan \(id) does not exist") }
        let rows = plan.versions.map { version in
            WorkPageView.Row(
                key: "\(version.version)",
                cells: [
                    .init(text: "\(version.version)"), .init(text: Display.day(version.terms.effectiveFrom)), .init(text: Self.rules(version.terms)),
                    .init(text: "\(version.terms.holdDays)"), .init(text: "\(version.terms.attributionWindowDays)"),
                ])
        }
        let version = ConsoleForm(
            name: "version", action: "/console/plans/\(id)/versions", submit: "Add the version",
            fields: [.input("effective_from", "Effective from", type: "date", required: true)] + Self.termsFields(plan.versions.last?.terms)
        ).refused(refusal)
        let view = WorkPageView(
            heading: plan.name, intro: "Versions, oldest first.",
            tables: [.init(cssClass: "versions", headers: ["Version", "Effective", "Rules", "Hold days", "Window (days)"], rows: rows, empty: "")],
            sections: [.init(heading: "Add a version", note: "The new terms apply to what is earned from the date on.", form: version)])
        return work(plan.name, view, notice: notice, session: session, status: refusal?.error.status ?? .ok)
    }

    // MARK: Settings

    func settings(notice: String?, refusal: Refusal? = nil, session: ConsoleSessionService.Session) async throws -> Response {
        let settings = try await program.settings()
        let thresholds = settings.approvalThresholds.sorted { $0.key < $1.key }.compactMap { currency, minor in
            CurrencyCode(currency).map { Money(minorUnits: minor, currency: $0).description }
        }
        let form = ConsoleForm(
            name: "settings", action: "/console/settings", submit: "Save",
            fields: [
                .select(
                    "conflict_rule", "When two partners claim one company", ProgramSettings.ConflictRule.allCases.map { ($0.rawValue, Display.words($0.rawValue)) },
                    value: settings.conflictRule.rawValue),
                .input(
                    "approval_thresholds", "Approval thresholds", value: thresholds.joined(separator: ", "),
                    help: "lines above these amounts wait for approval, e.g. 500 USD, 400 EUR; empty: none"),
                .input("give_get_ratio", "Give-and-get ratio", type: "number", value: "\(settings.giveGetRatio)", help: "3 means 3 to 1"),
                .input("give_get_window_months", "Give-and-get window (months)", type: "number", value: "\(settings.giveGetWindowMonths)"),
                .input("ask_window_days", "Who to ask next: window (days)", type: "number", value: "\(settings.askWindowDays)"),
                .input(
                    "go_live", "Go-live date", type: "date", value: settings.goLive.map { Display.day($0) } ?? "",
                    help: "clients seen before it are existing clients; empty: none"),
            ]
        ).refused(refusal)
        let view = WorkPageView(
            heading: "Program settings", intro: nil, tables: [], sections: [.init(heading: "Settings", note: nil, form: form)])
        return work("Settings", view, notice: notice, session: session, status: refusal?.error.status ?? .ok)
    }

    /// The settings a form states, read as the API reads its JSON.
    static func settingsInput(_ fields: [String: String]) throws(GatewayError) -> SettingsInput {
        func number(_ name: String) throws(GatewayError) -> Int? {
            guard let text = fields[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            guard let value = Int(text) else { throw .invalid("\(name) must be a whole number", field: name) }
            return value
        }
        let rule = try fields["conflict_rule"].map { text throws(GatewayError) in try ProgramValidation.choice(text, "conflict_rule", ProgramSettings.ConflictRule.self) }
        var thresholds: [String: Int64] = [:]
        for text in (fields["approval_thresholds"] ?? "").split(separator: ",") {
            guard let amount = try MoneyInput.parse(String(text), field: "approval_thresholds") else { continue }
            thresholds[amount.currency.code] = amount.minorUnits
        }
        let goLive = fields["go_live"].map { $0.trimmingCharacters(in: .whitespaces).isEmpty ? SettingsInput.noGoLive : $0 }
        return SettingsInput(
            conflictRule: rule, approvalThresholds: fields["approval_thresholds"] == nil ? nil : thresholds, giveGetRatio: try number("give_get_ratio"),
            giveGetWindowMonths: try number("give_get_window_months"), askWindowDays: try number("ask_window_days"), goLive: goLive)
    }
}
