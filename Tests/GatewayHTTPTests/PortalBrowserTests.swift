import AsyncHTTPClient
import Foundation
import GatewayAdapters
import GatewayCore
import GatewayEngine
import GatewayHTTP
import GatewayTestSupport
import HTTPTypes
import Hummingbird
import NIOHTTP1
import HummingbirdTesting
import Testing

/// The partner side in a real browser: the admin issues a link in the console, the partner signs
/// in and submits a referral, the admin accepts it, the company pays, and the partner sees it
/// signed with what it earned, while the MSP's CRM hears each step as a signed outbound event.
@Suite struct PortalBrowserTests {
    struct Issued: Decodable { var secret: String }

    /// Bright Dental's paid invoice, as another company paying now.
    static func payment(company domain: String, at date: Date) throws -> Data {
        let paid = String(decoding: try TestGateway.fixture("stripe/invoice.paid.json"), as: UTF8.self)
        return Data(
            paid.replacingOccurrences(of: "evt_1RZq3LKx7aQ2mN0pV1eT9bYc", with: "evt_cedar")
                .replacingOccurrences(of: "in_1RZq3HKx7aQ2mN0pXf4sLk2Q", with: "in_cedar")
                .replacingOccurrences(of: "cus_SUq8vD3kLm2NpQ", with: "cus_cedar")
                .replacingOccurrences(of: "ap@brightdental.example", with: "ap@\(domain)")
                .replacingOccurrences(of: "Bright Dental PC", with: "Cedar Dental")
                .replacingOccurrences(of: "\"paid_at\": 1748736004", with: "\"paid_at\": \(Int(date.timeIntervalSince1970))").utf8)
    }

    @Test func aPartnerSubmitsAReferralTheAdminAcceptsItAndThePartnerSeesItSignedAndEarning() async throws {
        // The gateway's clock moves by hand, so the payment falls after the submission day to the
        // second, and the portal is read after the payment.
        let clock = ManualClock(start: Date())
        let gateway = try TestGateway(now: { clock.now })
        // The MSP's CRM, receiving outbound events and verifying each as Standard Webhooks
        // libraries do; the dispatcher runs in the gateway as in `serve`.
        let receiver = WebhookReceiver()
        let dispatcher = OutboundDispatcher(
            store: gateway.store, client: HTTPClient.shared, configuration: OutboundDispatcher.Configuration(pollInterval: .seconds(1)),
            now: { clock.now }, logger: gateway.logger)
        try await receiver.application.test(.live) { receiverClient in
        try await gateway.application(services: [dispatcher]).test(.live) { client in
            let acme = try await ReportRouteTests.brightDentalStory(gateway, client)
            let base = "http://127.0.0.1:\(try #require(client.port))"
            let registration = #"{"url":"http://127.0.0.1:\#(try #require(receiverClient.port))/hooks","events":["referral.submitted","referral.signed","accrual.created"]}"#
            let secret = try await client.execute(
                uri: "/admin/webhook-endpoints", method: .post, headers: TestGateway.adminHeaders, body: ByteBuffer(string: registration)
            ) { response in
                #expect(response.status == .created)
                return try JSONDecoder().decode(Issued.self, from: Data(String(buffer: response.body).utf8)).secret
            }
            receiver.verify(with: [secret])

            try await withBrowser { browser in
                // The admin issues a link from Acme's page in the console.
                try await browser.navigate(to: "\(base)/console/login")
                try await browser.fill("input[name=token]", with: TestGateway.adminToken.value)
                try await browser.click("button[type=submit]")
                try await browser.waitUntil("the overview") { try await browser.currentURL() == "\(base)/console" }
                try await browser.navigate(to: "\(base)/console/partners/\(acme)")
                try await browser.click("form[action$=portal-link] button")
                let link = try await browser.waitForElement("#portal-link")
                let url = try #require(try await link.property("value").stringValue)
                #expect(url.hasPrefix("\(base)/portal/sign-in/"))

                // The partner opens it, signs in and submits Cedar Dental.
                try await browser.navigate(to: url)
                try await browser.click("button[type=submit]")
                try await browser.waitUntil("the portal") { try await browser.currentURL() == "\(base)/portal" }
                let cookie = try #require(try await browser.cookie(named: "rg_portal"))
                #expect(cookie.secure && cookie.httpOnly && cookie.sameSite == "Strict")
                #expect(try await browser.text(of: "header strong") == "Acme Accounting")
                try await browser.click("main a[href='/portal/referrals/new']")
                _ = try await browser.waitForElement("input[name=prospect_name]")
                // A wrong address first: refused beside its field, the rest kept.
                try await browser.fill("input[name=prospect_name]", with: "Cedar Dental")
                try await browser.fill("input[name=domain]", with: "cedardental.example")
                try await browser.fill("input[name=contact_name]", with: "Dr. Cedar")
                try await browser.fill("input[name=contact_email]", with: "cedar@")
                try await browser.fill("textarea[name=note]", with: "Met at the chamber breakfast")
                try await browser.execute("document.querySelector('form[action=\"/portal/referrals\"]').noValidate = true")
                try await browser.click("form[action='/portal/referrals'] button[type=submit]")
                let refusal = try await browser.waitForElement("[data-field=contact_email]")
                #expect(try await refusal.text().contains("contact_email"))
                #expect(try await browser.findElement("input[name=prospect_name]").property("value").stringValue == "Cedar Dental")
                try await browser.findElement("input[name=contact_email]").clear()
                try await browser.fill("input[name=contact_email]", with: "cedar@cedardental.example")
                try await browser.click("form[action='/portal/referrals'] button[type=submit]")
                try await browser.waitUntil("the submission") { try await browser.currentURL().contains("/portal/submissions/") }
                #expect(try await browser.text(of: "b.status") == "submitted")

                // The admin accepts it in the console, on the program's plan.
                try await browser.navigate(to: "\(base)/console/submissions")
                let row = try await browser.text(of: "tr[data-submission]")
                #expect(row.contains("Cedar Dental") && row.contains("Acme Accounting") && row.contains("none"))
                try await browser.click("form[action$=accept] button")
                try await browser.waitUntil("the decision") { try await browser.text(of: "tr[data-submission]").contains("accepted") }

                // Cedar Dental pays.
                let payment = try Self.payment(company: "cedardental.example", at: clock.now.addingTimeInterval(60))
                clock.advance(by: 120)
                // On a new connection: the test client's may have idled out (30 s) during the
                // browser's part on a slow machine.
                var post = HTTPClientRequest(url: "\(base)/webhooks/stripe")
                post.method = .POST
                for field in TestGateway.stripeHeaders(payment, at: clock.now) { post.headers.add(name: field.name.canonicalName, value: field.value) }
                post.body = .bytes(ByteBuffer(bytes: payment))
                #expect(try await HTTPClient.shared.execute(post, timeout: .seconds(30)).status == .ok)
                try await gateway.processor.drain()

                // The partner sees it signed, with its accrual.
                try await browser.navigate(to: "\(base)/portal")
                let rows = try await browser.findElements("table.referrals tr[data-referral]")
                let texts = try await rows.asyncMap { try await $0.text() }
                let cedar = try #require(texts.firstIndex { $0.contains("Cedar Dental") }, "\(texts)")
                #expect(texts[cedar].contains("signed"), "\(texts[cedar])")
                // The submission became this referral: it is not listed a second time.
                #expect(try await browser.findElements("table.referrals tr[data-submission]").isEmpty)
                try await browser.click("table.referrals tr[data-referral=\"\(try #require(try await rows[cedar].attribute("data-referral")))\"] a")
                try await browser.waitUntil("Cedar Dental's page") { try await browser.title().hasPrefix("Cedar Dental") }
                #expect(try await browser.text(of: "b.status") == "signed")
                let line = try await browser.text(of: "table.lines tr:nth-child(2)")
                #expect(line.contains("49.90"), "\(line)")
            }
            try await OutboundDispatchTests.waitFor(receiver, count: 3)
        }
        }
        // The CRM heard each step, in order, each message signed with the endpoint's secret.
        let received = receiver.received
        #expect(received.map(\.type) == ["referral.submitted", "referral.signed", "accrual.created"])
        #expect(received.allSatisfy { $0.verified && $0.answered == 200 })
        #expect(received.first.map { String(decoding: $0.body, as: UTF8.self) }?.contains("Cedar Dental") == true)
    }
}
