import Foundation
import GatewayCore
import GatewayEngine
import Hummingbird

/// The console's forms that run the program: partners, outbound referrals, referrals, plans and
/// settings. Each calls the engine's use case, as the admin API and the command line do; a
/// refusal draws the page again with the form as it was sent and the reason beside its field.
extension ConsoleController {
    func addProgramRoutes(to console: RouterGroup<GatewayRequestContext>) {
        let now = configuration.now

        // Partners.
        console.post("/partners") { request, _ in
            try await submitted(request) { session, fields in
                try await Self.refusing("add", fields, redraw: { try await pages.partners(refusal: $0, session: session) }) {
                    let partner = try await program.addPartner(Self.partnerInput(fields), at: now())
                    return Self.redirect("/console/partners/\(partner.id)?notice=partner-added")
                }
            }
        }
        console.post("/partners/{id}") { request, context in
            let partner = PartnerID(try Self.id(context))
            return try await submitted(request) { session, fields in
                try await Self.refusing("edit", fields, redraw: { try await pages.partner(partner, period: .month(containing: now()), refusal: $0, session: session) }) {
                    _ = try await program.updatePartner(partner, Self.partnerInput(fields), at: now())
                    return Self.redirect("/console/partners/\(partner)?notice=partner-saved")
                }
            }
        }
        for (action, active) in [("deactivate", false), ("reactivate", true)] {
            console.post("/partners/{id}/\(action)") { request, context in
                let partner = PartnerID(try Self.id(context))
                return try await submitted(request) { _, _ in
                    _ = try await program.setPartnerActive(partner, active, at: now())
                    return Self.redirect("/console/partners/\(partner)?notice=partner-\(action)d")
                }
            }
        }
        console.post("/partners/{id}/outbound") { request, context in
            let partner = PartnerID(try Self.id(context))
            return try await submitted(request) { session, fields in
                try await Self.refusing("outbound", fields, redraw: { try await pages.partner(partner, period: .month(containing: now()), refusal: $0, session: session) }) {
                    let input = OutboundReferralInput(
                        partnerID: partner.rawValue, clientName: fields["client_name"], referredAt: Self.present(fields["referred_at"]),
                        monthlyValue: try MoneyInput.parse(fields["monthly_value"], field: "monthly_value"), note: Self.present(fields["note"]))
                    _ = try await program.addOutboundReferral(input, at: now())
                    return Self.redirect("/console/partners/\(partner)?notice=outbound-added")
                }
            }
        }

        // Referrals.
        console.get("/referrals") { request, _ in
            try await page(request) { session in try await pages.referrals(notice: Self.notice(request), session: session) }
        }
        console.post("/referrals") { request, _ in
            try await submitted(request) { session, fields in
                try await Self.refusing("add", fields, redraw: { try await pages.referrals(notice: nil, refusal: $0, session: session) }) {
                    let input = ReferralInput(
                        partnerID: fields["partner_id"].flatMap { Int64($0) }, planID: fields["plan_id"].flatMap { Int64($0) },
                        prospectName: fields["prospect_name"], domains: Self.list(fields["domains"]), contactEmails: Self.list(fields["contact_emails"]),
                        referralCode: Self.present(fields["referral_code"]), introducedAt: Self.present(fields["introduced_at"]))
                    let record = try await program.addReferral(input, at: now())
                    return Self.redirect("/console/referrals/\(record.referral.id)?notice=referral-added")
                }
            }
        }
        console.get("/referrals/{id}") { request, context in
            let referral = ReferralID(try Self.id(context))
            return try await page(request) { session in try await pages.referral(referral, notice: Self.notice(request), session: session) }
        }
        for step in ["qualify", "lose", "override"] {
            console.post("/referrals/{id}/\(step)") { request, context in
                let referral = ReferralID(try Self.id(context))
                return try await submitted(request) { session, fields in
                    try await Self.refusing(step, fields, redraw: { try await pages.referral(referral, notice: nil, refusal: $0, session: session) }) {
                        let on = Self.present(fields["on"])
                        switch step {
                        case "qualify": _ = try await program.qualifyReferral(referral, on: on, at: now())
                        case "lose": _ = try await program.loseReferral(referral, on: on, reason: fields["reason"], at: now())
                        default: _ = try await program.overrideAttribution(referral, customer: fields["customer"], reason: fields["reason"], at: now())
                        }
                        let done = ["qualify": "qualified", "lose": "lost", "override": "overridden"][step] ?? step
                        return Self.redirect("/console/referrals/\(referral)?notice=referral-\(done)")
                    }
                }
            }
        }

        // Plans.
        console.get("/plans") { request, _ in
            try await page(request) { session in try await pages.plans(notice: Self.notice(request), session: session) }
        }
        console.post("/plans") { request, _ in
            try await submitted(request) { session, fields in
                try await Self.refusing("add", fields, redraw: { try await pages.plans(notice: nil, refusal: $0, session: session) }) {
                    let plan = try await program.addPlan(PlanInput(name: fields["name"], terms: try ConsolePages.termsInput(fields).terms(effectiveFrom: nil)), at: now())
                    return Self.redirect("/console/plans/\(plan.id)?notice=plan-added")
                }
            }
        }
        console.get("/plans/{id}") { request, context in
            let plan = PlanID(try Self.id(context))
            return try await page(request) { session in try await pages.plan(plan, notice: Self.notice(request), session: session) }
        }
        console.post("/plans/{id}/versions") { request, context in
            let plan = PlanID(try Self.id(context))
            return try await submitted(request) { session, fields in
                try await Self.refusing("version", fields, redraw: { try await pages.plan(plan, notice: nil, refusal: $0, session: session) }) {
                    let effective = try DateInput.parse(try ProgramValidation.required(fields["effective_from"], "effective_from"), field: "effective_from")
                    _ = try await program.addPlanVersion(plan, try ConsolePages.termsInput(fields).terms(effectiveFrom: effective), at: now())
                    return Self.redirect("/console/plans/\(plan)?notice=version-added")
                }
            }
        }

        // Settings.
        console.get("/settings") { request, _ in
            try await page(request) { session in try await pages.settings(notice: Self.notice(request), session: session) }
        }
        console.post("/settings") { request, _ in
            try await submitted(request) { session, fields in
                try await Self.refusing("settings", fields, redraw: { try await pages.settings(notice: nil, refusal: $0, session: session) }) {
                    _ = try await program.updateSettings(try ConsolePages.settingsInput(fields), at: now())
                    return Self.redirect("/console/settings?notice=settings-saved")
                }
            }
        }
    }

    /// Runs a form's use case; an engine refusal draws the page again with the form as sent.
    static func refusing(
        _ form: String, _ fields: [String: String], redraw: (ConsoleForm.Refusal) async throws -> Response, _ action: () async throws -> Response
    ) async throws -> Response {
        do {
            return try await action()
        } catch let error as GatewayError where error.code != .notFound {
            return try await redraw(ConsoleForm.Refusal(form: form, error: error, values: fields))
        }
    }

    static func notice(_ request: Request) -> String? { request.uri.queryParameters.get("notice") }

    static func id(_ context: GatewayRequestContext) throws -> Int64 { try context.parameters.require("id", as: Int64.self) }

    static func partnerInput(_ fields: [String: String]) -> PartnerInput {
        PartnerInput(
            name: fields["name"], kind: fields["kind"], specialty: present(fields["specialty"]), payoutForm: present(fields["payout_form"]),
            email: present(fields["email"]), domains: list(fields["domains"]))
    }

    /// A field left empty is a field not given.
    static func present(_ text: String?) -> String? {
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return text
    }

    /// A comma- or space-separated list.
    static func list(_ text: String?) -> [String] {
        (text ?? "").split { $0 == "," || $0 == " " || $0 == ";" }.map(String.init)
    }
}
