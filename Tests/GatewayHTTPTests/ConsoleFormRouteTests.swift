import Foundation
import GatewayCore
import GatewayEngine
import GatewayHTTP
import GatewayTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The console's forms that run the program, over HTTP: each goes through the engine's use case,
/// and a refusal draws the page again with the reason beside its field and what was typed kept.
/// (The same forms in a browser are in ConsoleFormBrowserTests.)
@Suite struct ConsoleFormRouteTests {
    struct Answer {
        var status: HTTPResponse.Status
        var location: String?
        var body: String

        /// The refusal shown beside `field`, if any.
        func error(beside field: String) -> String? {
            guard let start = body.range(of: #"data-field="\#(field)""#) else { return nil }
            let text = body[start.upperBound...].drop { $0 != ">" }.dropFirst()
            return String(text.prefix { $0 != "<" })
        }
    }

    struct Console {
        let client: any TestClientProtocol
        let cookie: String
        let csrf: String

        static func signIn(_ client: some TestClientProtocol) async throws -> Console {
            let cookie = try await ConsoleRouteTests.signIn(client)
            let page = try await client.execute(uri: "/console/partners", method: .get, headers: [.cookie: cookie]) { String(buffer: $0.body) }
            return Console(client: client, cookie: cookie, csrf: try ConsoleRouteTests.csrf(in: page))
        }

        func post(_ uri: String, _ fields: [(String, String)]) async throws -> Answer {
            var headers = ConsoleRouteTests.form
            headers[.cookie] = cookie
            let body = ([("csrf", csrf)] + fields).map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
                .joined(separator: "&")
            return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                Answer(status: response.status, location: response.headers[.location], body: String(buffer: response.body))
            }
        }

        func get(_ uri: String) async throws -> String {
            try await client.execute(uri: uri, method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok, "\(uri)")
                return String(buffer: response.body)
            }
        }
    }

    @Test func partnersAreAddedEditedAndDeactivatedWithRefusalsBesideTheirField() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            let console = try await Console.signIn(client)
            let empty = try await console.post("/console/partners", [("name", " "), ("kind", "center_of_influence"), ("email", "ap@harbor.example")])
            #expect(empty.status == .badRequest)
            #expect(empty.error(beside: "name") == "name must not be empty")
            #expect(empty.body.contains(#"value="ap@harbor.example""#))
            #expect(try await gateway.program.partners().isEmpty)

            let added = try await console.post(
                "/console/partners",
                [("name", "Harbor Law"), ("kind", "center_of_influence"), ("specialty", "attorney"), ("payout_form", "cash"), ("email", ""), ("domains", "harbor.example")])
            #expect(added.status == .seeOther)
            let page = try #require(added.location)
            #expect(page.hasSuffix("?notice=partner-added"))
            #expect(try await console.get(page).contains("Partner added."))
            let partner = try #require(try await gateway.program.partners().first)
            #expect(partner.specialty == .attorney && partner.domains == ["harbor.example"] && partner.email == nil)

            let badEmail = try await console.post(
                "/console/partners/\(partner.id)", [("name", "Harbor Law LLP"), ("kind", "center_of_influence"), ("email", "desk@"), ("domains", "")])
            #expect(badEmail.status == .badRequest)
            #expect(badEmail.error(beside: "email")?.contains("must be an address") == true)
            #expect(badEmail.body.contains(#"value="Harbor Law LLP""#))
            #expect(try await gateway.program.partner(partner.id).name == "Harbor Law")
            let saved = try await console.post(
                "/console/partners/\(partner.id)",
                [("name", "Harbor Law LLP"), ("kind", "center_of_influence"), ("specialty", ""), ("payout_form", "reciprocal_only"), ("email", "desk@harbor.example"), ("domains", "harbor.example")])
            #expect(saved.status == .seeOther)
            let edited = try await gateway.program.partner(partner.id)
            #expect(edited.name == "Harbor Law LLP" && edited.specialty == nil && edited.payoutForm == .reciprocalOnly && edited.createdAt == partner.createdAt)

            // Deactivated, it takes no new referral from any surface; reactivated, it does again.
            #expect(try await console.post("/console/partners/\(partner.id)/deactivate", []).status == .seeOther)
            #expect(try await console.get("/console/partners/\(partner.id)").contains("data-partner-status"))
            let plan = try await gateway.program.addPlan(PlanInput(name: "COI 10%", terms: try PlanTermsInput(rate: "10%").terms(effectiveFrom: nil)), at: Date())
            let refused = try await console.post(
                "/console/referrals", [("partner_id", "\(partner.id)"), ("plan_id", "\(plan.id)"), ("prospect_name", "Cedar Dental"), ("domains", "cedardental.example")])
            #expect(refused.status == .unprocessableContent)
            #expect(refused.body.contains("is deactivated"))
            try await client.execute(
                uri: "/admin/referrals", method: .post, headers: TestGateway.adminHeaders,
                body: ByteBuffer(string: #"{"partner_id":\#(partner.id),"plan_id":\#(plan.id),"prospect_name":"Cedar Dental"}"#)
            ) { #expect($0.status == .unprocessableContent) }
            #expect(try await console.post("/console/partners/\(partner.id)/reactivate", []).status == .seeOther)
            #expect(try await gateway.program.partner(partner.id).isActive)

            // A referral the MSP sent to the partner.
            let badValue = try await console.post("/console/partners/\(partner.id)/outbound", [("client_name", "Lake Bakery"), ("monthly_value", "300")])
            #expect(badValue.error(beside: "monthly_value")?.contains("e.g. 250 USD") == true)
            #expect(badValue.body.contains(#"value="Lake Bakery""#))
            #expect(try await console.post("/console/partners/\(partner.id)/outbound", [("client_name", "Lake Bakery"), ("monthly_value", "300 USD"), ("referred_at", "2026-11-02")]).status == .seeOther)
            let outbound = try #require(try await gateway.program.outboundReferrals().first)
            #expect(outbound.clientName == "Lake Bakery" && outbound.monthlyValue == Money(minorUnits: 30_000, currency: CurrencyCode("USD")!))
        }
    }

    @Test func referralsAreRecordedQualifiedAndLostThroughTheForms() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            let acme = try await ReportRouteTests.brightDentalStory(gateway, client)
            let console = try await Console.signIn(client)
            let badDay = try await console.post(
                "/console/referrals", [("partner_id", "\(acme)"), ("plan_id", "1"), ("prospect_name", "Cedar Dental"), ("introduced_at", "2026-02-30")])
            #expect(badDay.status == .badRequest)
            #expect(badDay.error(beside: "introduced_at")?.contains("must be a day") == true)
            #expect(badDay.body.contains(#"value="Cedar Dental""#))

            let added = try await console.post(
                "/console/referrals",
                [("partner_id", "\(acme)"), ("plan_id", "1"), ("prospect_name", "Cedar Dental"), ("domains", "cedardental.example"), ("contact_emails", "dr@cedardental.example"), ("introduced_at", "2026-11-02")])
            #expect(added.status == .seeOther)
            let page = try #require(added.location)
            let list = try await console.get("/console/referrals")
            #expect(list.contains("Cedar Dental") && list.contains("Bright Dental"))

            #expect(try await console.post(page.replacingOccurrences(of: "?notice=referral-added", with: "/qualify"), [("on", "2026-11-09")]).status == .seeOther)
            let base = String(page.prefix { $0 != "?" })
            let badDay2 = try await console.post("\(base)/lose", [("reason", "Chose a cheaper provider"), ("on", "yesterday")])
            #expect(badDay2.error(beside: "on")?.hasPrefix("on must be a day") == true)
            #expect(badDay2.body.contains(#"value="Chose a cheaper provider""#))
            #expect(try await console.post("\(base)/lose", [("reason", "Chose a cheaper provider"), ("on", "")]).status == .seeOther)
            let record = try #require(try await gateway.program.referrals(at: Date()).first { $0.referral.prospectName == "Cedar Dental" })
            #expect(record.status == .lost && record.referral.lostReason == "Chose a cheaper provider" && record.referral.qualifiedAt != nil)
            #expect(try await console.get(base).contains("Chose a cheaper provider"))

            // An override names a customer the gateway has seen; an unknown one is a 404 page.
            let unknown = try await console.post("\(base)/override", [("customer", "vendor:stripe:cus_nobody"), ("reason", "met at the fair")])
            #expect(unknown.status == .notFound)
        }
    }

    @Test func plansAndSettingsAreChangedThroughTheForms() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            let console = try await Console.signIn(client)
            let badRate = try await console.post("/console/plans", [("name", "COI"), ("rate", "ten"), ("hold_days", "30"), ("attribution_window_days", "180")])
            #expect(badRate.status == .badRequest)
            #expect(badRate.error(beside: "rate") == "rate takes a percentage, e.g. 10% or 12.5%")
            #expect(badRate.body.contains(#"value="ten""#))
            let noRule = try await console.post("/console/plans", [("name", "COI"), ("hold_days", "30")])
            #expect(noRule.body.contains("a plan needs at least one rule"))
            let added = try await console.post(
                "/console/plans", [("name", "COI"), ("rate", "10%"), ("months", "12"), ("then_rate", "5%"), ("finder_fee", "250 USD"), ("hold_days", "30"), ("attribution_window_days", "180")])
            #expect(added.status == .seeOther)
            let plan = try #require(try await gateway.program.plans().first)
            #expect(plan.versions.first?.terms.rules == [.recurringShare(steps: [.init(months: 12, rate: BasisPoints(1_000)), .init(months: nil, rate: BasisPoints(500))]), .finderFee(Money(minorUnits: 25_000, currency: CurrencyCode("USD")!))])
            #expect(try await console.get("/console/plans").contains("10% of payments for 12 months, then 5% of payments"))

            let noDay = try await console.post("/console/plans/\(plan.id)/versions", [("effective_from", ""), ("rate", "12%")])
            #expect(noDay.error(beside: "effective_from") == "effective_from must not be empty")
            let badHold = try await console.post("/console/plans/\(plan.id)/versions", [("effective_from", "2027-01-01"), ("rate", "12%"), ("hold_days", "-1")])
            #expect(badHold.error(beside: "hold_days") == "hold_days must be 0 or more")
            #expect(try await console.post("/console/plans/\(plan.id)/versions", [("effective_from", "2027-01-01"), ("rate", "12%"), ("hold_days", "14")]).status == .seeOther)
            #expect(try await gateway.program.plans().first?.versions.map(\.terms.holdDays) == [30, 14])

            let badRatio = try await console.post("/console/settings", [("conflict_rule", "first_valid_claim"), ("give_get_ratio", "0")])
            #expect(badRatio.error(beside: "give_get_ratio")?.hasPrefix("give_get_ratio must be 1 to 100") == true)
            #expect(try await gateway.program.settings().giveGetRatio == ProgramSettings().giveGetRatio)
            let saved = try await console.post(
                "/console/settings",
                [("conflict_rule", "last_claim"), ("approval_thresholds", "500 USD, 400 EUR"), ("give_get_ratio", "4"), ("give_get_window_months", "12"), ("ask_window_days", "60"), ("go_live", "2026-12-01")])
            #expect(saved.status == .seeOther)
            let settings = try await gateway.program.settings()
            #expect(settings.conflictRule == .lastClaim && settings.giveGetRatio == 4 && settings.approvalThresholds == ["USD": 50_000, "EUR": 40_000])
            #expect(settings.goLive == (try DateInput.parse("2026-12-01", field: "go_live")))
            #expect(try await console.post("/console/settings", [("go_live", "")]).status == .seeOther)
            #expect(try await gateway.program.settings().goLive == nil)

            // An outbound endpoint's address, refused beside its field with what was ticked kept.
            let badURL = try await console.post(
                "/console/outbound/endpoints", [("url", "mailto:ops@example.com"), ("description", "CRM"), ("event_0", "referral.submitted")])
            #expect(badURL.status == .badRequest)
            #expect(badURL.error(beside: "url") != nil)
            #expect(badURL.body.contains(#"value="CRM""#) && badURL.body.contains(#"value="referral.submitted" checked"#))
            #expect(try await WebhookEndpointService(store: gateway.store).endpoints().isEmpty)
        }
    }
}
