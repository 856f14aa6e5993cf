import Foundation
import GatewayAdapters
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

/// The console in a real browser: headless Chromium signs in, reads every page of the Bright
/// Dental story, replays a delivery after its dry run, and pays a payout through the forms.
@Suite struct ConsoleBrowserTests {
    @Test func anAdminWalksThroughTheConsole() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            _ = try await ReportRouteTests.brightDentalStory(gateway, client)
            // A signed delivery that cannot be mapped: it is kept and fails.
            let broken = Data(#"{"id":"evt_broken","object":"event","type":"invoice.paid","created":1748736000,"data":{"object":{}}}"#.utf8)
            try await client.execute(
                uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(broken), body: ByteBuffer(bytes: broken)
            ) { #expect($0.status == .ok) }
            // A payment this month (past the plan's twelve months, so it earns nothing): Bright
            // Dental is an active client for the review KPIs.
            let paid = String(decoding: try TestGateway.fixture("stripe/invoice.paid.json"), as: UTF8.self)
            let recent = Data(
                paid.replacingOccurrences(of: "evt_1RZq3LKx7aQ2mN0pV1eT9bYc", with: "evt_recent")
                    .replacingOccurrences(of: "in_1RZq3HKx7aQ2mN0pXf4sLk2Q", with: "in_recent")
                    .replacingOccurrences(of: "\"paid_at\": 1748736004", with: "\"paid_at\": \(Int(Date().timeIntervalSince1970))").utf8)
            try await client.execute(
                uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(recent), body: ByteBuffer(bytes: recent)
            ) { #expect($0.status == .ok) }
            try await gateway.processor.drain()
            let port = try #require(client.port)
            let base = "http://127.0.0.1:\(port)/console"

            try await withBrowser { browser in
                // Signing in.
                try await browser.navigate(to: base)
                try await browser.waitUntil("the sign-in form") { try await browser.currentURL().hasSuffix("/console/login?next=%2Fconsole") }
                try await browser.fill("input[name=token]", with: TestGateway.adminToken.value)
                try await browser.click("button[type=submit]")
                try await browser.waitUntil("the overview") { try await browser.currentURL() == base }
                let cookie = try #require(try await browser.cookie(named: "rg_console"))
                #expect(cookie.secure && cookie.httpOnly && cookie.sameSite == "Strict")

                // The overview over the story's two months.
                try await browser.navigate(to: "\(base)?from=2025-05-01&to=2025-06-30")
                #expect(try await browser.text(of: "[data-metric=referral-share-USD] b") == "100.0 %")
                #expect(try await browser.text(of: "[data-metric=conversion]").contains("1 of 1 signed"))
                let bars = try await browser.findElements("svg.chart rect.bar")
                #expect(try await bars.asyncMap { try await $0.attribute("data-label") } == ["2025-05", "2025-06"])
                #expect(try await bars.asyncMap { try await $0.attribute("data-value") } == ["0.0", "100.0"])

                // Partners, then Acme's page with its June statement and MRR chart.
                try await browser.navigate(to: "\(base)/partners")
                let row = try await browser.text(of: "table tr:nth-child(2)")
                #expect(row.contains("Acme Accounting") && row.contains("49.90 USD"))
                try await browser.click("table tr:nth-child(2) a")
                try await browser.waitUntil("Acme's page") { try await browser.title().hasPrefix("Acme Accounting") }
                try await browser.navigate(to: "\(try await browser.currentURL())?from=2025-06-01&to=2025-06-30")
                let line = try await browser.text(of: "table.lines tr:nth-child(2)")
                #expect(line.contains("Bright Dental") && line.contains("49.90 USD") && line.contains("Payable"))
                #expect(try await browser.text(of: "table.balance [data-total=payable]") == "49.90")
                #expect(try await browser.findElements("svg.chart rect.bar").count == 13)

                // Deliveries: the failed one comes first; the paid invoice shows its accrual.
                try await browser.navigate(to: "\(base)/deliveries")
                #expect(try await browser.text(of: "table tr:nth-child(2) td:nth-child(4)") == "failed")
                let paid = try #require(try await gateway.store.ledger.allAccruals().first?.line.sourceDelivery)
                try await browser.navigate(to: "\(base)/deliveries/\(paid.rawValue)")
                #expect(try await browser.text(of: "#raw").contains("\"invoice.paid\""))
                #expect(try await browser.text(of: "#accruals").contains("49.90 USD"))

                // Replay: the dry run writes nothing, then applying it runs the delivery again.
                try await browser.click("form[action$=replay] button")
                try await browser.waitUntil("the dry run") { try await browser.text(of: "main h1").hasSuffix("dry run") }
                #expect(try await browser.text(of: "main p").contains("Nothing was written"))
                try await browser.click("form[action$=replay] button")
                try await browser.waitUntil("the replay") { try await browser.text(of: "main h1").hasSuffix("done") }
                #expect(try await gateway.store.ledger.accrualCount() == 1)

                // Payouts: create one from the form, then mark it paid.
                try await browser.navigate(to: "\(base)/payouts")
                try await browser.fill("input[name=note]", with: "June")
                try await browser.click("form[action='/console/payouts'] button")
                // Content, not the address, says the new page is there (the address changes first).
                try await browser.waitUntil("the new payout") { try await browser.text(of: "[role=status]") == "Payout 1 created." }
                #expect(try await browser.currentURL().hasSuffix("notice=created-1"))
                #expect(try await browser.text(of: "table tr:nth-child(2)").contains("Acme Accounting: 49.90 USD"))
                try await browser.click("form[action$='/paid'] button")
                try await browser.waitUntil("the paid payout") {
                    try await browser.text(of: "[role=status]") == "Payout 1 marked paid; its lines are final."
                }
                #expect(try await gateway.program.payouts().first?.paidAt != nil)
                #expect(try await browser.findElements("form[action$='/paid']").isEmpty)

                // Clients: record a review from the form; the KPIs count it.
                try await browser.navigate(to: "\(base)/clients")
                #expect(try await browser.text(of: "[data-metric=unknown] b") == "100.0 %")
                try await browser.click("form[action$='/reviews'] button")
                try await browser.waitUntil("the recorded review") { try await browser.text(of: "[role=status]") == "Review recorded." }
                let clientRow = try await browser.text(of: "table tr:nth-child(2)")
                #expect(clientRow.contains("domain:brightdental.example") && clientRow.contains("Referral asked on \(Self.today)"))
                #expect(try await browser.text(of: "[data-metric=reviewed] b") == "100.0 %")
                #expect(try await gateway.program.clientReviews().map(\.outcome) == [.referralAsked])

                // Signing out ends the session.
                try await browser.click("header form button")
                try await browser.waitUntil("the sign-in form") { try await browser.currentURL().hasSuffix("/console/login") }
                try await browser.navigate(to: "\(base)/payouts")
                #expect(try await browser.currentURL().hasSuffix("/console/login?next=%2Fconsole%2Fpayouts"))
                // Signing in again goes back to the page asked for.
                try await browser.fill("input[name=token]", with: TestGateway.adminToken.value)
                try await browser.click("button[type=submit]")
                try await browser.waitUntil("the payouts page") { try await browser.currentURL() == "\(base)/payouts" }
            }
        }
    }
}

extension ConsoleBrowserTests {
    /// The overview of a year (`YearStory`): the figures the story test works out by hand, as
    /// the owner reads them.
    @Test func theOverviewShowsTheYearsFigures() async throws {
        let gateway = try TestGateway(now: { YearStory.now })
        let story = try await YearStory.load(into: gateway.store, program: gateway.program)
        try await gateway.application.test(.live) { client in
            let port = try #require(client.port)
            let base = "http://127.0.0.1:\(port)/console"
            try await withBrowser { browser in
                try await browser.navigate(to: base)
                try await browser.fill("input[name=token]", with: TestGateway.adminToken.value)
                try await browser.click("button[type=submit]")
                try await browser.waitUntil("the overview") { try await browser.currentURL() == base }
                try await browser.navigate(to: "\(base)?from=2025-01-01&to=2025-12-31")
                #expect(try await browser.text(of: "[data-metric=referral-share-USD] b") == "84.3 %")
                #expect(try await browser.text(of: "[data-metric=client-participation] b") == "25.0 %")
                #expect(try await browser.text(of: "[data-metric=client-participation]").contains("1 of 4 active clients"))
                #expect(try await browser.text(of: "[data-metric=partner-participation] b") == "66.7 %")
                #expect(try await browser.text(of: "[data-metric=lifetime-value-USD] b") == "3800.00 USD / 7200.00 USD")
                #expect(try await browser.text(of: "[data-metric=mrr-movement] b") == "500.00 USD / —")
                #expect(try await browser.text(of: "[data-source=not_referred]").contains("14400.00 USD"))
                #expect(try await browser.text(of: "[data-source=center_of_influence]").contains("10500.00 USD"))
                #expect(try await browser.text(of: "[data-metric=health] b") == "25.0 %")
                #expect(try await browser.text(of: "[data-metric=healthy-without-ask] b") == "50.0 %")
                #expect(
                    try await browser.findElements("[data-owed]").asyncMap { try await $0.attribute("data-owed") }
                        == ["\(story.acme.id.rawValue)", "\(story.happy.id.rawValue)"])
                #expect(
                    try await browser.findElements("[data-ask]").asyncMap { try await $0.attribute("data-ask") }
                        == ["domain:new.example", "domain:bright.example", "domain:grow.example"])
                #expect(try await browser.text(of: "[data-ask='domain:grow.example']").contains("Expanded on 2025-12-01"))
            }
        }
    }

    /// Partners from the example spreadsheet: chosen, previewed, applied; then a bad file refused
    /// with its lines and nothing written.
    @Test func anAdminImportsASpreadsheetThroughTheConsole() async throws {
        let gateway = try TestGateway()
        let directory = try TemporaryDirectory(prefix: "console-import")
        let good = directory.url.appendingPathComponent("partners.csv")
        try Fixtures.data("imports/partners.csv").write(to: good)
        let bad = directory.url.appendingPathComponent("bad.csv")
        try Data("name,kind\nAcme Accounting,wizard\nHarbor Law,center_of_influence\n,client\n".utf8).write(to: bad)
        try await gateway.application.test(.live) { client in
            let base = "http://127.0.0.1:\(try #require(client.port))/console"
            try await withBrowser { browser in
                try await browser.navigate(to: "\(base)/imports")
                try await browser.fill("input[name=token]", with: TestGateway.adminToken.value)
                try await browser.click("button[type=submit]")
                try await browser.waitUntil("the import page") { try await browser.currentURL() == "\(base)/imports" }

                try await browser.findElement("input[type=file]").sendKeys(good.path)
                try await browser.click("form[enctype] button")
                try await browser.waitUntil("the preview") { try await browser.text(of: "main h2") == "Preview of partners" }
                #expect(try await browser.text(of: "[data-summary]") == "Nothing is written yet: 3 to create, 0 to change, 0 unchanged.")
                #expect(try await gateway.program.partners().isEmpty)
                try await browser.click("form input[name=apply] ~ button")
                try await browser.waitUntil("the import") { try await browser.text(of: "main h2") == "Imported partners" }
                #expect(try await gateway.program.partners().map(\.name) == ["Acme Accounting", "Harbor Law", "Happy Client Co"])

                try await browser.findElement("input[type=file]").sendKeys(bad.path)
                try await browser.click("form[enctype] button")
                try await browser.waitUntil("the refusal") { try await browser.findElements("table.refused tr[data-line]").count == 2 }
                #expect(try await browser.text(of: "tr[data-line='2']").contains("kind must be one of"))
                #expect(try await browser.text(of: "tr[data-line='4']").contains("name must not be empty"))
                #expect(try await browser.findElements("input[name=apply]").isEmpty)
                #expect(try await gateway.program.partners().count == 3)
            }
        }
    }

    static var today: String { Date().formatted(.iso8601.year().month().day()) }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
