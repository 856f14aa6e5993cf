import Foundation
import GatewayCore
import GatewayHTTP
import GatewayEngine
import GatewayRepositories
import GatewayStore
import GatewayTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Acme Accounting referred Bright Dental, whose 499.00 USD June payment earned 49.90: the
/// reports read that story back through the live server.
@Suite struct ReportRouteTests {
    struct Created: Decodable { var id: Int64 }

    /// Sets up the program, delivers the Stripe fixtures and processes them; returns Acme's id.
    static func brightDentalStory(_ gateway: TestGateway, _ client: some TestClientProtocol) async throws -> Int64 {
        func post(_ uri: String, _ json: String) async throws -> Int64 {
            try await client.execute(uri: uri, method: .post, headers: TestGateway.adminHeaders, body: ByteBuffer(string: json)) { response in
                #expect(response.status == .created, "\(uri): \(String(buffer: response.body))")
                return try Created.from(response.body).id
            }
        }
        let acme = try await post("/admin/partners", #"{"name":"Acme Accounting","kind":"center_of_influence","email":"ap@acme.example"}"#)
        let plan = try await post(
            "/admin/plans", #"{"name":"COI 10%","rules":[{"type":"recurring_share","rate_bps":1000,"months":12}],"hold_days":30}"#)
        _ = try await post(
            "/admin/referrals",
            #"{"partner_id":\#(acme),"plan_id":\#(plan),"prospect_name":"Bright Dental","domains":["brightdental.example"],"introduced_at":"2025-05-20T00:00:00Z"}"#
        )
        for fixture in ["stripe/invoice.paid.json", "stripe/invoice.payment_succeeded.json"] {
            let body = try TestGateway.fixture(fixture)
            // Signed on the gateway's clock: a test's manual clock stands still while a slow
            // machine's real one runs past Stripe's tolerance.
            try await client.execute(
                uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(body, at: gateway.configuration.now()),
                body: ByteBuffer(bytes: body)
            ) { response in #expect(response.status == .ok) }
        }
        try await gateway.processor.drain()
        return acme
    }

    func get(_ client: some TestClientProtocol, _ uri: String) async throws -> (HTTPResponse.Status, HTTPFields, String) {
        try await client.execute(uri: uri, method: .get, headers: TestGateway.adminHeaders) { response in
            (response.status, response.headers, String(buffer: response.body))
        }
    }

    @Test func aStatementInJSONCSVAndPrintableHTML() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            let acme = try await Self.brightDentalStory(gateway, client)
            let (status, _, json) = try await get(client, "/admin/partners/\(acme)/statement?from=2025-06-01&to=2025-06-30")
            #expect(status == .ok)
            let statement = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let lines = try #require(statement["lines"] as? [[String: Any]])
            #expect(lines.count == 1)
            #expect(lines.first?["client"] as? String == "Bright Dental")
            #expect((lines.first?["amount"] as? [String: Any])?["minor_units"] as? Int == 4_990)
            #expect(lines.first?["status"] as? String == "payable")
            let balance = try #require((statement["balance"] as? [[String: Any]])?.first)
            #expect((balance["payable"] as? [String: Any])?["minor_units"] as? Int == 4_990)

            // July holds no line, but the balance (whenever earned) still shows what is payable.
            let (_, _, july) = try await get(client, "/admin/partners/\(acme)/statement?from=2025-07-01&to=2025-07-31")
            let julyStatement = try #require(try JSONSerialization.jsonObject(with: Data(july.utf8)) as? [String: Any])
            #expect((julyStatement["lines"] as? [Any])?.isEmpty == true)
            #expect(((julyStatement["balance"] as? [[String: Any]])?.first?["payable"] as? [String: Any])?["minor_units"] as? Int == 4_990)

            let (csvStatus, csvHeaders, csv) = try await get(client, "/admin/partners/\(acme)/statement?from=2025-06-01&to=2025-06-30&format=csv")
            #expect(csvStatus == .ok)
            #expect(csvHeaders[.contentType] == "text/csv; charset=utf-8")
            let rows = csv.split(separator: "\r\n")
            #expect(rows.count == 2)
            #expect(rows[1].contains(",Bright Dental,recurring_share,") && rows[1].contains(",499.00,10,49.90,USD,payable,"))

            let (_, htmlHeaders, html) = try await get(client, "/admin/partners/\(acme)/statement?from=2025-06-01&to=2025-06-30&format=html")
            #expect(htmlHeaders[.contentType] == "text/html; charset=utf-8")
            #expect(html.contains("Referral statement: Acme Accounting"))
            #expect(html.contains("49.90 USD"))
            #expect(html.contains("2025-06-01 to 2025-06-30"))

            #expect(try await get(client, "/admin/partners/999/statement").0 == .notFound)
            #expect(try await get(client, "/admin/partners/\(acme)/statement?format=pdf").0 == .badRequest)
            #expect(try await get(client, "/admin/partners/\(acme)/statement?from=2025-07-01&to=2025-06-01").0 == .badRequest)
        }
    }

    @Test func aPayoutExportsAsBillsForAccountsPayable() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            _ = try await Self.brightDentalStory(gateway, client)
            let payout = try await client.execute(
                uri: "/admin/payouts", method: .post, headers: TestGateway.adminHeaders, body: ByteBuffer(string: "{}")
            ) { response in
                #expect(response.status == .created)
                return try Created.from(response.body).id
            }
            let (status, headers, bills) = try await get(client, "/admin/payouts/\(payout)/bills.csv")
            #expect(status == .ok)
            #expect(headers[.contentDisposition] == "attachment; filename=\"payout-\(payout)-bills.csv\"")
            let accrual = try #require(try await gateway.store.ledger.allAccruals().first)
            #expect(
                bills == "payee,payee_email,payee_reference,amount,currency,bill_date,memo\r\n"
                    + "Acme Accounting,ap@acme.example,partner-1,49.90,USD,\(Date().formatted(.iso8601.year().month().day())),\"Referral rewards, payout \(payout): accruals \(accrual.id.rawValue)\"\r\n")
            let (_, _, credits) = try await get(client, "/admin/payouts/\(payout)/credits.csv")
            #expect(credits == "customer,customer_source,customer_id,reason,amount,currency,memo\r\n")
            #expect(try await get(client, "/admin/payouts/99/bills.csv").0 == .notFound)
        }
    }

    @Test func programMetricsAndClientReviews() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            _ = try await Self.brightDentalStory(gateway, client)
            let (status, _, json) = try await get(client, "/admin/metrics?from=2025-05-01&to=2025-06-30")
            #expect(status == .ok)
            let metrics = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            #expect(metrics["new_clients"] as? Int == 1)
            let share = try #require((metrics["new_mrr"] as? [[String: Any]])?.first)
            #expect(share["share_percent"] as? Double == 100)
            let conversion = try #require(metrics["conversion"] as? [String: Any])
            #expect(conversion["introduced"] as? Int == 1)
            #expect(conversion["signed"] as? Int == 1)
            #expect(try await get(client, "/admin/metrics?top_percent=0").0 == .badRequest)

            let (_, _, roster) = try await get(client, "/admin/clients")
            #expect(roster.contains("\"key\":\"domain:brightdental.example\""))

            func review(_ json: String) async throws -> HTTPResponse.Status {
                try await client.execute(uri: "/admin/client-reviews", method: .post, headers: TestGateway.adminHeaders, body: ByteBuffer(string: json)) {
                    $0.status
                }
            }
            #expect(try await review(#"{"client":"domain:nobody.example","outcome":"healthy"}"#) == .notFound)
            #expect(try await review(#"{"client":"domain:brightdental.example","outcome":"sunny"}"#) == .badRequest)
            #expect(
                try await review(#"{"client":"domain:brightdental.example","outcome":"referral_asked","reviewed_on":"2025-06-20T00:00:00Z"}"#)
                    == .created)
            let (_, _, kpis) = try await get(client, "/admin/client-reviews/kpis?from=2025-06-01&to=2025-06-30")
            let values = try #require(try JSONSerialization.jsonObject(with: Data(kpis.utf8)) as? [String: Any])
            #expect(values["active_clients"] as? Int == 1)
            #expect(values["reviewed_percent"] as? Double == 100)
            #expect(values["health_percent"] as? Double == 100)
            #expect(values["healthy_without_ask_percent"] as? Double == 0)
            #expect(values["unknown_percent"] as? Double == 0)
        }
    }

    @Test func theYearsFiguresThroughTheAPI() async throws {
        let gateway = try TestGateway(now: { YearStory.now })
        let story = try await YearStory.load(into: gateway.store, program: gateway.program)
        try await gateway.application.test(.router) { client in
            func json(_ uri: String) async throws -> Any {
                let (status, _, body) = try await get(client, uri)
                #expect(status == .ok, "\(uri): \(body)")
                return try JSONSerialization.jsonObject(with: Data(body.utf8))
            }
            let metrics = try #require(try await json("/admin/metrics?from=2025-01-01&to=2025-12-31") as? [String: Any])
            let participation = try #require(metrics["participation"] as? [String: Any])
            #expect(participation["client_percent"] as? Double == 25)
            #expect(participation["partner_percent"] as? Double == 66.7)
            let collected = try #require(metrics["collected_revenue"] as? [String: Any])
            #expect((collected["total"] as? [[String: Any]])?.first?["minor_units"] as? Int == 2_580_000)
            let value = try #require(metrics["lifetime_value"] as? [String: Any])
            #expect((value["referred_to_others"] as? [[String: Any]])?.first?["ratio"] as? Double == 0.53)

            let asks = try #require(try await json("/admin/ask-next") as? [[String: Any]])
            #expect(asks.map { $0["client"] as? String } == ["domain:new.example", "domain:bright.example", "domain:grow.example"])
            #expect((asks.last?["moments"] as? [[String: Any]])?.map { $0["reason"] as? String } == ["expanded", "ninety_days_in"])
            #expect((try await json("/admin/ask-next?days=5") as? [Any])?.isEmpty == true)
            #expect(try await get(client, "/admin/ask-next?days=soon").0 == .badRequest)

            let owed = try #require(try await json("/admin/give-get?owed=true") as? [[String: Any]])
            #expect(owed.map { $0["partner_id"] as? Int64 } == [story.acme.id.rawValue, story.happy.id.rawValue])
        }
    }
}
