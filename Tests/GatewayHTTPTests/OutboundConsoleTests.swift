import Foundation
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The console's Outbound page and the `webhooks` commands: an endpoint added with its secret
/// shown once, rotated, disabled (with the banner every page shows) and enabled, messages resent,
/// forms refused without the session's CSRF token.
@Suite struct OutboundConsoleTests {
    static let form = ConsoleRouteTests.form

    static func page(_ client: some TestClientProtocol, _ uri: String, cookie: String) async throws -> String {
        try await client.execute(uri: uri, method: .get, headers: [.cookie: cookie]) { response in
            #expect(response.status == .ok, "\(uri)")
            return String(buffer: response.body)
        }
    }

    static func post(
        _ client: some TestClientProtocol, _ uri: String, _ body: String, cookie: String, expect status: HTTPResponse.Status = .seeOther
    ) async throws -> (String, String?) {
        var headers = form
        headers[.cookie] = cookie
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
            #expect(response.status == status, "\(uri): \(String(buffer: response.body).prefix(400))")
            return (String(buffer: response.body), response.headers[.location])
        }
    }

    static func secret(in html: String) throws -> String {
        let start = try #require(html.range(of: #"id="webhook-secret" value=""#)).upperBound
        return String(html[start...].prefix { $0 != "\"" })
    }

    @Test func anEndpointIsAddedRotatedDisabledAndEnabledFromTheConsoleWithABannerWhileDisabled() async throws {
        let gateway = try TestGateway()
        let story = try await Stories.brightDental(gateway.program)
        try await gateway.application.test(.router) { client in
            let cookie = try await ConsoleRouteTests.signIn(client)
            let empty = try await Self.page(client, "/console/outbound", cookie: cookie)
            #expect(empty.contains("Outbound events") && empty.contains("No endpoint yet."))
            #expect(!empty.contains("data-alert"))
            let csrf = try ConsoleRouteTests.csrf(in: empty)

            // Without the session's token, nothing is added.
            _ = try await Self.post(client, "/console/outbound/endpoints", "csrf=forged&url=https%3A%2F%2Fcrm.example%2Fhooks", cookie: cookie, expect: .forbidden)
            #expect(try await gateway.store.webhookEndpoints.endpoints().isEmpty)
            let (bad, _) = try await Self.post(client, "/console/outbound/endpoints", "csrf=\(csrf)&url=crm.example", cookie: cookie, expect: .badRequest)
            #expect(bad.contains("url must be an http:// or https:// address"))

            let submittedIndex = try #require(OutboundEventType.allCases.firstIndex(of: .referralSubmitted))
            let (added, _) = try await Self.post(
                client, "/console/outbound/endpoints",
                "csrf=\(csrf)&url=https%3A%2F%2Fcrm.example%2Fhooks&description=CRM&event_\(submittedIndex)=referral.submitted", cookie: cookie,
                expect: .ok)
            let secret = try Self.secret(in: added)
            #expect(secret.hasPrefix("whsec_") && added.contains("shown only this once"))
            let endpoint = try #require(try await gateway.store.webhookEndpoints.endpoints().first)
            #expect(endpoint.eventTypes == [.referralSubmitted] && endpoint.description == "CRM")

            // A submission queues a message; the page lists both and never the secret.
            _ = try await PortalService(store: gateway.store).submit(
                SubmissionInput(prospectName: "Cedar Dental", domain: "cedardental.example", contactName: "Pat", contactEmail: "pat@cedardental.example"),
                by: story.partner.id, at: Date())
            let listed = try await Self.page(client, "/console/outbound", cookie: cookie)
            #expect(listed.contains(#"data-endpoint="\#(endpoint.id)""#) && listed.contains("https://crm.example/hooks") && listed.contains("receiving"))
            #expect(listed.contains("data-message=\"1\"") && listed.contains("referral.submitted"))
            #expect(!listed.contains(secret))
            #expect(try await Self.page(client, "/console/outbound?status=dead", cookie: cookie).contains("No messages."))

            let (rotated, _) = try await Self.post(
                client, "/console/outbound/endpoints/\(endpoint.id)/rotate", "csrf=\(csrf)&overlap_hours=2", cookie: cookie, expect: .ok)
            let newSecret = try Self.secret(in: rotated)
            #expect(newSecret != secret && rotated.contains("The previous secret keeps signing beside it until"))

            // Disabled: every console page says so until it is enabled again.
            let (_, disabledTo) = try await Self.post(client, "/console/outbound/endpoints/\(endpoint.id)/disable", "csrf=\(csrf)", cookie: cookie)
            #expect(disabledTo == "/console/outbound?notice=disabled")
            let overview = try await Self.page(client, "/console", cookie: cookie)
            #expect(overview.contains("data-alert") && overview.contains("Webhook endpoint \(endpoint.id) (https://crm.example/hooks) receives nothing since"))
            #expect(try await Self.page(client, "/console/partners", cookie: cookie).contains("data-alert"))
            _ = try await Self.post(client, "/console/outbound/endpoints/\(endpoint.id)/enable", "csrf=\(csrf)", cookie: cookie)
            #expect(!(try await Self.page(client, "/console", cookie: cookie)).contains("data-alert"))

            let (_, resentTo) = try await Self.post(client, "/console/outbound/messages/1/resend", "csrf=\(csrf)", cookie: cookie)
            #expect(resentTo == "/console/outbound?notice=resent-1")
            let (_, bulkTo) = try await Self.post(client, "/console/outbound/endpoints/\(endpoint.id)/resend-failed", "csrf=\(csrf)", cookie: cookie)
            #expect(bulkTo == "/console/outbound?notice=resent-0")

            // Removing asks for the box to be ticked.
            _ = try await Self.post(client, "/console/outbound/endpoints/\(endpoint.id)/remove", "csrf=\(csrf)", cookie: cookie, expect: .badRequest)
            let (_, removedTo) = try await Self.post(
                client, "/console/outbound/endpoints/\(endpoint.id)/remove", "csrf=\(csrf)&confirm=yes", cookie: cookie)
            #expect(removedTo == "/console/outbound?notice=removed")
            #expect(try await gateway.store.webhookEndpoints.endpoints().isEmpty)
        }
    }

    @Test func theWebhooksCommandsAddListRotateAndResendOnTheStoreFile() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: ServerProcessTests.binary.path), "build the executable first: swift build")
        let gateway = try TestGateway()
        let story = try await Stories.brightDental(gateway.program)
        let data = ["--data-dir", gateway.directory.path]
        let environment = ["GATEWAY_WEBHOOK_ROTATION_OVERLAP": "3h"]

        let added = try await BackfillCommandTests.run(
            ["webhooks", "endpoints", "add", "--url", "https://crm.example/hooks", "--event", "referral.submitted"] + data, environment: environment)
        #expect(added.status == 0, "\(added.errors)")
        #expect(added.output.contains("\"secret\" : \"whsec_"))
        let refused = try await BackfillCommandTests.run(["webhooks", "endpoints", "add", "--url", "nope"] + data, environment: environment)
        #expect(refused.status != 0 && refused.errors.contains("url must be an http:// or https:// address"))

        let listed = try await BackfillCommandTests.run(["webhooks", "endpoints", "list"] + data, environment: environment)
        #expect(listed.status == 0 && listed.output.contains("https://crm.example/hooks") && !listed.output.contains("whsec_"))

        let before = Date()
        let rotated = try await BackfillCommandTests.run(["webhooks", "endpoints", "rotate", "1"] + data, environment: environment)
        #expect(rotated.status == 0 && rotated.output.contains("\"secret\" : \"whsec_"))
        let expires = try #require(try await gateway.store.webhookEndpoints.endpoint(WebhookEndpointID(1))?.previousSecretExpiresAt)
        #expect(abs(expires.timeIntervalSince(before) - 3 * 3_600) < 60)

        _ = try await PortalService(store: gateway.store).submit(
            SubmissionInput(prospectName: "Cedar Dental", domain: "cedardental.example", contactName: "Pat", contactEmail: "pat@cedardental.example"),
            by: story.partner.id, at: Date())
        try await gateway.store.outbox.recordAttempt(
            OutboundMessageID(1), result: .failed(statusCode: 502, error: "HTTP 502", retryAt: nil), disableIfFailingSince: .distantPast, at: Date())
        let messages = try await BackfillCommandTests.run(["webhooks", "messages", "list", "--status", "dead"] + data, environment: environment)
        #expect(messages.status == 0 && messages.output.hasPrefix("1\tendpoint 1\treferral.submitted\tevt_") && messages.output.contains("dead\tattempts 1\tHTTP 502"))
        let bulk = try await BackfillCommandTests.run(["webhooks", "messages", "resend", "--endpoint", "1", "--failed"] + data, environment: environment)
        #expect(bulk.status == 0 && bulk.output.contains("1 message(s) queued again"))
        #expect(try await gateway.store.outbox.message(OutboundMessageID(1))?.status == .pending)
        let one = try await BackfillCommandTests.run(["webhooks", "messages", "resend", "1"] + data, environment: environment)
        #expect(one.status == 0 && one.output.contains("\"status\" : \"pending\""))
        #expect(try await BackfillCommandTests.run(["webhooks", "messages", "resend"] + data, environment: environment).status != 0)
    }
}
