import Foundation
import GatewayAdapters
import GatewayCore
import GatewayEngine
import GatewayHTTP
import GatewayTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The console's forms in headless Chromium: an admin adds a partner (refused beside the field
/// first), creates a plan, records a referral and its meeting, deactivates the partner, and sets
/// the go-live date.
@Suite struct ConsoleFormBrowserTests {
    @Test func anAdminRunsTheProgramFromTheConsole() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            let base = "http://127.0.0.1:\(try #require(client.port))/console"
            try await withBrowser { browser in
                try await browser.navigate(to: "\(base)/login")
                try await browser.fill("input[name=token]", with: TestGateway.adminToken.value)
                try await browser.click("button[type=submit]")
                try await browser.waitUntil("the overview") { try await browser.currentURL() == base }

                // A partner, refused first for an address that is not one.
                try await browser.navigate(to: "\(base)/partners")
                try await browser.fill("form[data-form=add] input[name=name]", with: "Harbor Law")
                try await browser.execute("document.querySelector('form[data-form=add] select[name=kind]').value = 'center_of_influence'")
                try await browser.fill("form[data-form=add] input[name=email]", with: "desk@")
                try await browser.execute("document.querySelector('form[data-form=add]').noValidate = true")
                try await browser.click("form[data-form=add] button[type=submit]")
                let refusal = try await browser.waitForElement("[data-field=email]")
                #expect(try await refusal.text().contains("must be an address"))
                #expect(try await browser.findElement("form[data-form=add] input[name=name]").property("value").stringValue == "Harbor Law")
                #expect(try await browser.findElement("form[data-form=add] select[name=kind]").property("value").stringValue == "center_of_influence")
                try await browser.findElement("form[data-form=add] input[name=email]").clear()
                try await browser.fill("form[data-form=add] input[name=email]", with: "desk@harbor.example")
                try await browser.click("form[data-form=add] button[type=submit]")
                try await browser.waitUntil("the partner's page") { try await browser.title().hasPrefix("Harbor Law") }
                #expect(try await browser.text(of: "[role=status]") == "Partner added.")

                // A plan.
                try await browser.navigate(to: "\(base)/plans")
                try await browser.fill("form[data-form=add] input[name=name]", with: "COI 10%")
                try await browser.fill("form[data-form=add] input[name=rate]", with: "10%")
                try await browser.fill("form[data-form=add] input[name=months]", with: "12")
                try await browser.click("form[data-form=add] button[type=submit]")
                try await browser.waitUntil("the plan's page") { try await browser.title().hasPrefix("COI 10%") }
                #expect(try await browser.text(of: "table.versions tr[data-row='1']").contains("10% of payments for 12 months"))

                // A referral, then its meeting.
                try await browser.navigate(to: "\(base)/referrals")
                try await browser.fill("form[data-form=add] input[name=prospect_name]", with: "Cedar Dental")
                try await browser.fill("form[data-form=add] input[name=domains]", with: "cedardental.example")
                try await browser.click("form[data-form=add] button[type=submit]")
                try await browser.waitUntil("the referral's page") { try await browser.title().hasPrefix("Cedar Dental") }
                try await browser.click("form[data-form=qualify] button[type=submit]")
                try await browser.waitUntil("the meeting") { try await browser.text(of: "[role=status]").contains("qualified") }
                #expect(try await browser.text(of: "table.facts tr[data-row=Status]").contains("qualified"))

                // Deactivating the partner takes it off the referral form.
                try await browser.navigate(to: "\(base)/partners/1")
                try await browser.click("form[data-form=activity] button[type=submit]")
                try await browser.waitUntil("the deactivation") { try await browser.text(of: "[role=status]").contains("deactivated") }
                try await browser.navigate(to: "\(base)/referrals")
                #expect(try await browser.findElements("form[data-form=add] select[name=partner_id] option").isEmpty)

                // The go-live date.
                try await browser.navigate(to: "\(base)/settings")
                try await browser.execute("document.querySelector('input[name=go_live]').value = '2026-12-01'")
                try await browser.click("form[data-form=settings] button[type=submit]")
                try await browser.waitUntil("the settings") { try await browser.text(of: "[role=status]") == "Settings saved." }
                #expect(try await browser.findElement("input[name=go_live]").property("value").stringValue == "2026-12-01")
            }
            #expect(try await gateway.program.settings().goLive == (try DateInput.parse("2026-12-01", field: "go_live")))
            #expect(try await gateway.program.partner(PartnerID(1)).isActive == false)
        }
    }
}
