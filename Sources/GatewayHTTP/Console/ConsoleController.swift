import Foundation
import GatewayAdapters
import GatewayCore
import GatewayViews
import GatewayEngine
import GatewayRepositories
import HTTPTypes
import Hummingbird

/// The admin console under `/console`: server-rendered pages behind a sign-in with the admin
/// token, which sets a `Secure`, `HttpOnly`, `SameSite=Strict` session cookie. Every form that
/// writes (replay, payouts, client reviews, sign-out) carries the session's CSRF token.
struct ConsoleController: Sendable {
    let configuration: GatewayConfiguration
    let program: ProgramService
    let pages: ConsolePages
    let reports: ReportsController
    let sessions: ConsoleSessionService
    let imports: ImportService
    let backfills: BackfillJobs
    let portal: PortalService
    let webhooks: WebhookEndpointService
    let store: any Repositories

    init(configuration: GatewayConfiguration, store: any Repositories, replays: ReplayJobs, backfills: BackfillJobs) {
        self.store = store
        self.webhooks = WebhookEndpointService(store: store, rotationOverlap: configuration.webhookRotationOverlap)
        self.backfills = backfills
        self.configuration = configuration
        self.program = ProgramService(store: store)
        self.imports = ImportService(store: store)
        self.pages = ConsolePages(
            store: store, program: program, reports: ReportService(store: store), replays: replays, now: configuration.now)
        self.reports = ReportsController(configuration: configuration, store: store)
        self.sessions = ConsoleSessionService(store: store)
        self.portal = PortalService(store: store)
    }

    /// The largest form the console accepts.
    static let maxFormBytes = 64 * 1024

    func addRoutes(to router: Router<GatewayRequestContext>) {
        let console = router.group("/console")
        let now = configuration.now

        console.get("/login") { request, _ in
            guard !configuration.adminTokens.isEmpty else { return Self.consoleOff }
            let next = Self.consolePath(request.uri.queryParameters.get("next"))
            if try await signedIn(request) != nil { return Self.redirect(next) }
            return ReportsController.html(ConsoleTemplates.render("login", LoginView(next: next)))
        }
        console.post("/login") { request, _ in
            guard !configuration.adminTokens.isEmpty else { return Self.consoleOff }
            let fields = try await Self.form(request)
            let next = Self.consolePath(fields["next"])
            guard let token = fields["token"], ConstantTime.matchesAny(token, configuration.adminTokens) else {
                // A wrong token costs half a second, so guessing is slow.
                try await Task.sleep(for: .milliseconds(500))
                return ReportsController.html(
                    ConsoleTemplates.render("login", LoginView(error: "That is not an admin token.", next: next)), status: .unauthorized)
            }
            let session = try await sessions.create(at: now())
            var response = Self.redirect(next)
            response.setCookie(
                Cookie(
                    name: ConsoleSecurity.cookieName, value: session.id, maxAge: Int(ConsoleSessionService.lifetime), path: "/console", secure: true,
                    httpOnly: true, sameSite: .strict))
            return response
        }
        console.post("/logout") { request, _ in
            try await submitted(request) { session, _ in
                try await sessions.end(session.id)
                var response = Self.redirect("/console/login")
                response.setCookie(
                    Cookie(name: ConsoleSecurity.cookieName, value: "", maxAge: 0, path: "/console", secure: true, httpOnly: true, sameSite: .strict))
                return response
            }
        }

        console.get { request, _ in
            try await page(request) { session in
                try await pages.overview(period: try ReportQuery.period(request, default: .trailingYear(to: now())), session: session)
            }
        }
        console.get("/deliveries") { request, _ in
            try await page(request) { session in try await pages.deliveries(request, session: session) }
        }
        console.get("/deliveries/{id}") { request, context in
            let id = DeliveryID(try context.parameters.require("id", as: Int64.self))
            return try await page(request) { session in try await pages.delivery(id, session: session) }
        }
        console.post("/deliveries/{id}/replay") { request, context in
            let id = DeliveryID(try context.parameters.require("id", as: Int64.self))
            return try await submitted(request) { session, fields in
                try await pages.replay(id, apply: fields["confirm"] == "yes", session: session)
            }
        }
        console.get("/partners") { request, _ in
            try await page(request) { session in try await pages.partners(notice: request.uri.queryParameters.get("notice"), session: session) }
        }
        console.get("/partners/{id}") { request, context in
            let id = PartnerID(try context.parameters.require("id", as: Int64.self))
            return try await page(request) { session in
                try await pages.partner(
                    id, period: try ReportQuery.period(request, default: .month(containing: now())), notice: request.uri.queryParameters.get("notice"),
                    session: session)
            }
        }
        console.get("/partners/{id}/statement") { request, context in
            let id = PartnerID(try context.parameters.require("id", as: Int64.self))
            return try await page(request) { _ in try await reports.statementResponse(request, partner: id, format: .html) }
        }
        console.get("/partners/{id}/statement.csv") { request, context in
            let id = PartnerID(try context.parameters.require("id", as: Int64.self))
            return try await page(request) { _ in try await reports.statementResponse(request, partner: id, format: .csv) }
        }
        console.get("/clients") { request, _ in
            try await page(request) { session in try await pages.clients(notice: request.uri.queryParameters.get("notice"), session: session) }
        }
        console.post("/clients/reviews") { request, _ in
            try await submitted(request) { _, fields in
                let note = fields["note"].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
                let on = fields["on"].flatMap { $0.isEmpty ? nil : $0 }
                _ = try await program.addClientReview(
                    ClientReviewInput(client: fields["client"], reviewedOn: on, outcome: fields["outcome"], note: note), at: now())
                return Self.redirect("/console/clients?notice=reviewed")
            }
        }
        console.get("/imports") { request, _ in
            try await page(request) { session in pages.imports(session: session) }
        }
        console.post("/imports") { request, _ in
            guard let session = try await signedIn(request) else { return Self.redirect("/console/login") }
            return try await Self.explained {
                let upload = try await ImportUpload(request)
                guard ConsoleSecurity.csrfMatches(upload.csrf, session) else {
                    return Self.csrfRefused
                }
                let kind = try ImportKind(named: upload.kind)
                let report = try await imports.run(kind, upload.file, dryRun: !upload.apply, at: now())
                return pages.imports(report, content: upload.file, session: session)
            }
        }
        console.get("/backfills") { request, _ in
            try await page(request) { session in
                try await pages.backfills(await backfills.all(), sources: backfills.sources, notice: request.uri.queryParameters.get("notice"), session: session)
            }
        }
        console.post("/backfills") { request, _ in
            try await submitted(request) { _, fields in
                let job = try await backfills.start(source: fields["source"], since: fields["since"])
                return Self.redirect("/console/backfills?notice=started-\(job.id)")
            }
        }
        console.get("/payouts") { request, _ in
            try await page(request) { session in try await pages.payouts(notice: request.uri.queryParameters.get("notice"), session: session) }
        }
        console.post("/payouts") { request, _ in
            try await submitted(request) { _, fields in
                let payout = try await program.createPayout(note: fields["note"], at: now())
                return Self.redirect("/console/payouts?notice=created-\(payout.id)")
            }
        }
        console.post("/payouts/{id}/paid") { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            return try await submitted(request) { _, _ in
                _ = try await program.markPayoutPaid(id, at: now())
                return Self.redirect("/console/payouts?notice=paid-\(id)")
            }
        }
        console.get("/payouts/{id}/bills.csv") { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            return try await page(request) { _ in try await reports.exportResponse(id, .bills) }
        }
        console.get("/payouts/{id}/credits.csv") { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            return try await page(request) { _ in try await reports.exportResponse(id, .credits) }
        }

        console.get("/submissions") { request, _ in
            try await page(request) { session in try await pages.submissions(notice: request.uri.queryParameters.get("notice"), session: session) }
        }
        console.post("/submissions/{id}/accept") { request, context in
            let id = SubmissionID(try context.parameters.require("id", as: Int64.self))
            return try await submitted(request) { _, fields in
                _ = try await portal.accept(id, plan: fields["plan_id"].flatMap { Int64($0) }, at: now())
                return Self.redirect("/console/submissions?notice=accepted")
            }
        }
        console.post("/submissions/{id}/decline") { request, context in
            let id = SubmissionID(try context.parameters.require("id", as: Int64.self))
            return try await submitted(request) { _, fields in
                _ = try await portal.decline(id, reason: fields["reason"], at: now())
                return Self.redirect("/console/submissions?notice=declined")
            }
        }
        console.post("/partners/{id}/portal-link") { request, context in
            let id = PartnerID(try context.parameters.require("id", as: Int64.self))
            return try await submitted(request) { session, _ in
                let link = try await portal.issueLink(for: id, at: now())
                return try await pages.portalLink(
                    link.issued(base: PortalAdminController.publicURL(configuration: configuration, request: request)), session: session)
            }
        }
        addProgramRoutes(to: console)

        console.get("/outbound") { request, _ in
            try await page(request) { session in
                try await pages.outbound(
                    status: request.uri.queryParameters.get("status"), notice: request.uri.queryParameters.get("notice"), session: session)
            }
        }
        console.post("/outbound/endpoints") { request, _ in
            try await submitted(request) { session, fields in
                // One checkbox per event type (`event_<n>`), its value the type.
                let events = fields.filter { $0.key.hasPrefix("event_") }.map(\.value)
                let description = fields["description"].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
                return try await Self.refusing(
                    "endpoint", fields, redraw: { try await pages.outbound(status: nil, notice: nil, refusal: $0, session: session) }
                ) {
                    let issued = try await webhooks.add(WebhookEndpointInput(url: fields["url"], events: events, description: description), at: now())
                    return pages.webhookSecret(issued, rotated: false, session: session)
                }
            }
        }
        console.post("/outbound/endpoints/{id}/rotate") { request, context in
            let id = WebhookEndpointID(try context.parameters.require("id", as: Int64.self))
            return try await submitted(request) { session, fields in
                let text = fields["overlap_hours"]?.trimmingCharacters(in: .whitespaces) ?? ""
                guard text.isEmpty || Double(text) != nil else { throw GatewayError.invalid("overlap_hours must be a number of hours", field: "overlap_hours") }
                let issued = try await webhooks.rotateSecret(id, overlapHours: Double(text), at: now())
                return pages.webhookSecret(issued, rotated: true, session: session)
            }
        }
        console.post("/outbound/endpoints/{id}/disable") { request, context in
            let id = WebhookEndpointID(try context.parameters.require("id", as: Int64.self))
            return try await submitted(request) { _, _ in
                _ = try await webhooks.disable(id, reason: "disabled by an admin in the console", at: now())
                return Self.redirect("/console/outbound?notice=disabled")
            }
        }
        console.post("/outbound/endpoints/{id}/enable") { request, context in
            let id = WebhookEndpointID(try context.parameters.require("id", as: Int64.self))
            return try await submitted(request) { _, _ in
                _ = try await webhooks.enable(id, at: now())
                return Self.redirect("/console/outbound?notice=enabled")
            }
        }
        console.post("/outbound/endpoints/{id}/resend-failed") { request, context in
            let id = WebhookEndpointID(try context.parameters.require("id", as: Int64.self))
            return try await submitted(request) { _, _ in
                let count = try await webhooks.resendFailed(of: id, at: now())
                return Self.redirect("/console/outbound?notice=resent-\(count)")
            }
        }
        console.post("/outbound/endpoints/{id}/remove") { request, context in
            let id = WebhookEndpointID(try context.parameters.require("id", as: Int64.self))
            return try await submitted(request) { _, fields in
                guard fields["confirm"] == "yes" else { throw GatewayError.invalid("tick the box to confirm the removal") }
                try await webhooks.remove(id, at: now())
                return Self.redirect("/console/outbound?notice=removed")
            }
        }
        console.post("/outbound/messages/{id}/resend") { request, context in
            let id = OutboundMessageID(try context.parameters.require("id", as: Int64.self))
            return try await submitted(request) { _, _ in
                _ = try await webhooks.resend(id, at: now())
                return Self.redirect("/console/outbound?notice=resent-1")
            }
        }
    }

    // MARK: Sessions and forms

    private func signedIn(_ request: Request) async throws -> ConsoleSessionService.Session? {
        guard let cookie = request.cookies[ConsoleSecurity.cookieName], !cookie.value.isEmpty else { return nil }
        return try await sessions.session(cookie.value, at: configuration.now())
    }

    /// A page for a signed-in admin; anyone else is sent to the sign-in form, which brings them
    /// back to the page afterwards.
    func page(_ request: Request, _ render: (ConsoleSessionService.Session) async throws -> Response) async throws -> Response {
        guard let session = try await signedIn(request) else {
            let back = request.uri.string.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "%2Fconsole"
            return Self.redirect("/console/login?next=\(back)")
        }
        return try await ConsoleAlerts.$current.withValue(await ConsoleAlerts.read(from: store)) {
            try await Self.explained { try await render(session) }
        }
    }

    /// A form post from a signed-in admin, refused unless it carries the session's CSRF token.
    func submitted(
        _ request: Request, _ handle: (ConsoleSessionService.Session, [String: String]) async throws -> Response
    ) async throws -> Response {
        guard let session = try await signedIn(request) else { return Self.redirect("/console/login") }
        return try await ConsoleAlerts.$current.withValue(await ConsoleAlerts.read(from: store)) {
            try await Self.explained {
                let fields = try await Self.form(request)
                guard ConsoleSecurity.csrfMatches(fields["csrf"], session) else {
                    return Self.csrfRefused
                }
                return try await handle(session, fields)
            }
        }
    }

    static func form(_ request: Request) async throws -> [String: String] {
        let body = try await request.body.collect(upTo: maxFormBytes)
        do {
            return try URLEncodedFormDecoder().decode([String: String].self, from: String(buffer: body))
        } catch {
            throw GatewayError.invalid("the form could not be read")
        }
    }

    /// Runs a page and shows a store refusal or a missing record as a page, not as JSON.
    private static func explained(_ render: () async throws -> Response) async throws -> Response {
        do {
            return try await render()
        } catch let error as GatewayError {
            return message("Not done", error.message, status: error.status)
        } catch let error as APIError {
            return message("Not done", error.reason, status: error.status)
        }
    }

    /// Where to go after signing in: a console path, never another site (`//evil`, `https://…`).
    static func consolePath(_ candidate: String?) -> String {
        guard let candidate, candidate.hasPrefix("/console"), !candidate.contains("\\"), !candidate.hasPrefix("//") else { return "/console" }
        return candidate
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    static func message(_ title: String, _ text: String, status: HTTPResponse.Status) -> Response {
        ReportsController.html(ConsoleTemplates.render("message", MessageView(title: title, text: text)), status: status)
    }

    /// A form that did not carry the session's CSRF token.
    static var csrfRefused: Response {
        message("Form refused", "The form did not carry this session's token (CSRF); reload the page and try again.", status: .forbidden)
    }

    static var consoleOff: Response {
        message("Console off", "The console is off: set GATEWAY_ADMIN_TOKEN on the gateway and sign in with it.", status: .forbidden)
    }

    struct LoginView {
        var title = "Sign in"
        var error: String?
        var next = "/console"
    }

    struct MessageView {
        var title: String
        var text: String
        var back = "/console"
    }
}
