import Foundation
import GatewayCore
import GatewayEngine
import GatewayHTTP
import GatewayTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The partner portal over HTTP: sign-in links, the session cookie, isolation between partners
/// and from the admin's surfaces, CSRF, the sign-in rate limit, and the admin's side of
/// submissions. (The whole story in a browser is in PortalBrowserTests.)
@Suite struct PortalRouteTests {
    struct Created: Decodable { var id: Int64 }
    struct Issued: Decodable { var url: String }
    struct Decided: Decodable { var status: String; var referral_id: Int64? }

    static let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    static func admin(_ client: some TestClientProtocol, _ uri: String, _ json: String, expect status: HTTPResponse.Status = .created) async throws -> String {
        try await client.execute(uri: uri, method: .post, headers: TestGateway.adminHeaders, body: ByteBuffer(string: json)) { response in
            #expect(response.status == status, "\(uri): \(String(buffer: response.body))")
            return String(buffer: response.body)
        }
    }

    /// Issues a link through the admin API and returns its token.
    static func issueLink(_ client: some TestClientProtocol, partner: Int64, days: Int? = nil) async throws -> String {
        let body = try await admin(client, "/admin/partners/\(partner)/portal-links", days.map { #"{"days":\#($0)}"# } ?? "")
        let url = try JSONDecoder().decode(Issued.self, from: Data(body.utf8)).url
        return String(try #require(url.split(separator: "/").last))
    }

    /// Signs in with `token` and returns the session cookie (`rg_portal=…`).
    static func signIn(_ client: some TestClientProtocol, token: String) async throws -> String {
        try await client.execute(uri: "/portal/sign-in", method: .post, headers: form, body: ByteBuffer(string: "token=\(token)")) { response in
            #expect(response.status == .seeOther, "\(String(buffer: response.body))")
            #expect(response.headers[.location] == "/portal")
            return String(try #require(response.headers[.setCookie]).prefix { $0 != ";" })
        }
    }

    static func get(_ client: some TestClientProtocol, _ uri: String, cookie: String) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(uri: uri, method: .get, headers: [.cookie: cookie]) { ($0.status, String(buffer: $0.body)) }
    }

    static func post(_ client: some TestClientProtocol, _ uri: String, cookie: String, _ body: String) async throws -> HTTPResponse {
        var headers = form
        headers[.cookie] = cookie
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body)) { $0.head }
    }

    @Test func aLinkShowsAButtonSignsInOnceAndTheCookieIsScopedToThePortal() async throws {
        let clock = ManualClock(start: Date())
        let gateway = try TestGateway(now: { clock.now })
        try await gateway.application.test(.live) { client in
            let partner = try await ReportRouteTests.brightDentalStory(gateway, client)
            let token = try await Self.issueLink(client, partner: partner)

            // Opening the link (as a mail scanner would) spends nothing: it only shows the button.
            for _ in 0..<2 {
                try await client.execute(uri: "/portal/sign-in/\(token)", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains(#"value="\#(token)""#))
                }
            }
            let setCookie = try await client.execute(
                uri: "/portal/sign-in", method: .post, headers: Self.form, body: ByteBuffer(string: "token=\(token)")
            ) { response in
                #expect(response.status == .seeOther)
                return try #require(response.headers[.setCookie])
            }
            let attributes = Set(setCookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
            #expect(attributes.isSuperset(of: ["secure", "httponly", "samesite=strict", "path=/portal"]))
            let cookie = String(setCookie.prefix { $0 != ";" })
            let (status, home) = try await Self.get(client, "/portal", cookie: cookie)
            #expect(status == .ok)
            #expect(home.contains("Acme Accounting") && home.contains("Bright Dental"))

            // Used, forged and expired links each get a page saying which.
            for (attempt, sentence) in [
                (token, "already used"), (token + "x", "not valid"), ("", "not valid"),
            ] {
                try await client.execute(uri: "/portal/sign-in", method: .post, headers: Self.form, body: ByteBuffer(string: "token=\(attempt)")) {
                    response in
                    #expect(response.status == .unprocessableContent, "\(attempt)")
                    #expect(response.headers[.setCookie] == nil)
                    #expect(String(buffer: response.body).contains(sentence), "\(attempt)")
                }
            }
            let short = try await Self.issueLink(client, partner: partner, days: 1)
            clock.advance(by: 86_401)
            try await client.execute(uri: "/portal/sign-in", method: .post, headers: Self.form, body: ByteBuffer(string: "token=\(short)")) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains("expired"))
            }
        }
    }

    @Test func aPartnerSeesOnlyItsOwnAndNeitherSideOpensTheOther() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            let acme = try await ReportRouteTests.brightDentalStory(gateway, client)
            let other = try JSONDecoder().decode(
                Created.self,
                from: Data(try await Self.admin(client, "/admin/partners", #"{"name":"Harbor Law","kind":"center_of_influence","email":"desk@harbor.example"}"#).utf8)
            ).id
            let acmeCookie = try await Self.signIn(client, token: try await Self.issueLink(client, partner: acme))
            let harborCookie = try await Self.signIn(client, token: try await Self.issueLink(client, partner: other))

            // Acme's referral (Bright Dental, id 1) and a submission of Acme's.
            let acmeHome = try await Self.get(client, "/portal", cookie: acmeCookie).1
            let csrf = try ConsoleRouteTests.csrf(in: acmeHome)
            let submitted = try await Self.post(
                client, "/portal/referrals", cookie: acmeCookie,
                "csrf=\(csrf)&prospect_name=Cedar+Dental&domain=cedardental.example&contact_name=Dr+Cedar&contact_email=cedar%40cedardental.example&note=")
            #expect(submitted.status == .seeOther)
            let submissionPage = try #require(submitted.headerFields[.location])
            #expect(try await Self.get(client, submissionPage, cookie: acmeCookie).0 == .ok)
            #expect(try await Self.get(client, "/portal/referrals/1", cookie: acmeCookie).0 == .ok)

            // Harbor asking for any of Acme's pages gets 404, as if they did not exist.
            for uri in ["/portal/referrals/1", submissionPage, "/portal/referrals/999"] {
                let (status, body) = try await Self.get(client, uri, cookie: harborCookie)
                #expect(status == .notFound, "\(uri)")
                #expect(!body.contains("Bright Dental") && !body.contains("Cedar Dental"), "\(uri)")
            }
            let harborHome = try await Self.get(client, "/portal", cookie: harborCookie).1
            #expect(harborHome.contains("Harbor Law") && !harborHome.contains("Bright Dental") && !harborHome.contains("Cedar"))
            let period = "from=2025-01-01&to=2026-12-31"
            let harborCSV = try await Self.get(client, "/portal/statement.csv?\(period)", cookie: harborCookie)
            #expect(harborCSV.0 == .ok && !harborCSV.1.contains("Bright Dental"))
            let acmeCSV = try await Self.get(client, "/portal/statement.csv?\(period)", cookie: acmeCookie)
            #expect(acmeCSV.0 == .ok && acmeCSV.1.contains("Bright Dental"))
            // The partner in the URL is never read: asking for another's statement shows one's own.
            #expect(try await Self.get(client, "/portal/statement.csv?\(period)&partner=\(acme)", cookie: harborCookie).1 == harborCSV.1)

            // The admin token does not open the portal; the portal cookie opens neither the admin
            // API nor the console.
            try await client.execute(uri: "/portal", method: .get, headers: TestGateway.adminHeaders) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/admin/partners", method: .get, headers: [.cookie: acmeCookie]) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/console", method: .get, headers: [.cookie: acmeCookie]) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location]?.hasPrefix("/console/login") == true)
            }
            // Nor does a console cookie open the portal.
            let consoleCookie = try await ConsoleRouteTests.signIn(client)
            #expect(try await Self.get(client, "/portal", cookie: consoleCookie).0 == .unauthorized)
        }
    }

    @Test func formsNeedTheSessionsTokenAndRefusalsShowBesideTheirField() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            let acme = try await ReportRouteTests.brightDentalStory(gateway, client)
            let cookie = try await Self.signIn(client, token: try await Self.issueLink(client, partner: acme))
            let other = try await Self.signIn(client, token: try await Self.issueLink(client, partner: acme))
            let csrf = try ConsoleRouteTests.csrf(in: try await Self.get(client, "/portal/referrals/new", cookie: cookie).1)
            let otherCSRF = try ConsoleRouteTests.csrf(in: try await Self.get(client, "/portal", cookie: other).1)
            #expect(csrf != otherCSRF)

            let fields = "prospect_name=Cedar+Dental&domain=cedardental.example&contact_name=Dr+Cedar&contact_email=cedar%40cedardental.example"
            for body in [fields, fields + "&csrf=", fields + "&csrf=\(otherCSRF)"] {
                #expect(try await Self.post(client, "/portal/referrals", cookie: cookie, body).status == .forbidden, "\(body)")
            }
            #expect(try await PortalService(store: gateway.store).submissionsForReview().isEmpty)

            // A bad e-mail address is refused beside its field, and what was typed stays.
            var headers = Self.form
            headers[.cookie] = cookie
            try await client.execute(
                uri: "/portal/referrals", method: .post, headers: headers,
                body: ByteBuffer(string: "csrf=\(csrf)&prospect_name=Cedar+Dental&domain=cedardental.example&contact_name=Dr+Cedar&contact_email=not-an-address")
            ) { response in
                #expect(response.status == .badRequest)
                let html = String(buffer: response.body)
                #expect(html.contains(#"value="Cedar Dental""#))
                let field = try #require(html.range(of: #"name="contact_email""#))
                let error = try #require(html.range(of: #"data-field="contact_email""#))
                #expect(field.upperBound < error.lowerBound && html.distance(from: field.upperBound, to: error.lowerBound) < 200)
                #expect(!html.contains(#"data-field="domain""#))
            }
            #expect(try await PortalService(store: gateway.store).submissionsForReview().isEmpty)

            // Signing out needs the token too, and ends the session.
            #expect(try await Self.post(client, "/portal/sign-out", cookie: cookie, "csrf=").status == .forbidden)
            #expect(try await Self.post(client, "/portal/sign-out", cookie: cookie, "csrf=\(csrf)").status == .ok)
            #expect(try await Self.get(client, "/portal", cookie: cookie).0 == .unauthorized)
            #expect(try await Self.get(client, "/portal", cookie: other).0 == .ok)
        }
    }

    @Test func signInAttemptsAreRateLimitedPerAddress() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            // The documented burst is 10 attempts per address, and one more comes back every 6
            // seconds. Forty are sent at once; on a loaded machine they can take long enough for a
            // few to come back, which the bound below allows, so the test never depends on speed.
            let started = ContinuousClock.now
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<40 {
                    group.addTask {
                        try await client.execute(uri: "/portal/sign-in", method: .post, headers: Self.form, body: ByteBuffer(string: "token=guess")) {
                            $0.status
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let elapsed = ContinuousClock.now - started
            let answered = statuses.filter { $0 == .unprocessableContent }.count
            #expect(answered >= 10, "the burst is answered")
            #expect(answered <= 10 + Int(elapsed / .seconds(6)) + 1, "beyond the burst, one attempt per 6 seconds (\(answered) in \(elapsed))")
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 40 - answered)
            // Everything else keeps answering.
            try await client.execute(uri: "/portal/sign-in/abc", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func theAdminAcceptsOrDeclinesASubmissionOnceAndThePartnerSeesTheOutcome() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            let acme = try await ReportRouteTests.brightDentalStory(gateway, client)
            let cookie = try await Self.signIn(client, token: try await Self.issueLink(client, partner: acme))
            let csrf = try ConsoleRouteTests.csrf(in: try await Self.get(client, "/portal", cookie: cookie).1)
            for (name, domain) in [("Cedar Dental", "cedardental.example"), ("Bright Dental again", "brightdental.example")] {
                let response = try await Self.post(
                    client, "/portal/referrals", cookie: cookie,
                    "csrf=\(csrf)&prospect_name=\(name.replacingOccurrences(of: " ", with: "+"))&domain=\(domain)&contact_name=Front+desk&contact_email=desk%40\(domain)")
                #expect(response.status == .seeOther)
            }
            let waiting = try await client.execute(uri: "/admin/submissions?status=submitted", method: .get, headers: TestGateway.adminHeaders) {
                response in
                #expect(response.status == .ok)
                return String(buffer: response.body)
            }
            // The second one is Bright Dental's own domain, already claimed: the checks say so.
            #expect(waiting.contains("Cedar Dental") && waiting.contains("already"))
            try await client.execute(uri: "/admin/submissions?status=maybe", method: .get, headers: TestGateway.adminHeaders) {
                #expect($0.status == .badRequest)
            }

            _ = try await Self.admin(client, "/admin/submissions/1/accept", "{}", expect: .badRequest)
            _ = try await Self.admin(client, "/admin/submissions/1/accept", #"{"plan_id":99}"#, expect: .notFound)
            _ = try await Self.admin(client, "/admin/submissions/9/accept", #"{"plan_id":1}"#, expect: .notFound)
            _ = try await Self.admin(client, "/admin/submissions/2/decline", #"{"reason":"  "}"#, expect: .badRequest)
            let accepted = try JSONDecoder().decode(Decided.self, from: Data(try await Self.admin(client, "/admin/submissions/1/accept", #"{"plan_id":1}"#, expect: .ok).utf8))
            #expect(accepted.status == "accepted" && accepted.referral_id != nil)
            _ = try await Self.admin(client, "/admin/submissions/1/decline", #"{"reason":"late"}"#, expect: .conflict)
            _ = try await Self.admin(client, "/admin/submissions/2/decline", #"{"reason":"Bright Dental is already your referral"}"#, expect: .ok)

            let home = try await Self.get(client, "/portal", cookie: cookie).1
            #expect(home.contains("Cedar Dental"))
            let declined = try await Self.get(client, "/portal/submissions/2", cookie: cookie).1
            #expect(declined.contains("Bright Dental is already your referral"))
            let referral = try await Self.get(client, "/portal/referrals/\(try #require(accepted.referral_id))", cookie: cookie)
            #expect(referral.0 == .ok && referral.1.contains("Cedar Dental"))
        }
    }
}
