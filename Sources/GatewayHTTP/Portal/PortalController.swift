import Foundation
import GatewayAdapters
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayViews
import HTTPTypes
import Hummingbird

/// The partner portal under `/portal`: server-rendered pages without script, like the console,
/// behind a session opened by a single-use sign-in link. The session cookie is scoped to
/// `/portal` and never opens the console or the admin API; the admin token never opens the
/// portal. Every page reads the signed-in partner from the session, never from the URL, and a
/// record of another partner answers 404 as if it did not exist.
struct PortalController: Sendable {
    let configuration: GatewayConfiguration
    let portal: PortalService
    let reports: ReportsController
    let signInLimiter = RateLimiter()

    static let cookieName = "rg_portal"
    /// Sign-in attempts allowed per client address: a burst of 10, then one every 6 seconds.
    static let signInBurst = 10
    static let signInRate = 10.0 / 60

    init(configuration: GatewayConfiguration, store: any Repositories) {
        self.configuration = configuration
        self.portal = PortalService(store: store)
        self.reports = ReportsController(configuration: configuration, store: store)
    }

    func addRoutes(to router: Router<GatewayRequestContext>) {
        let routes = router.group("/portal")
        let now = configuration.now

        // Opening the link only shows a button: mail scanners that fetch links must not spend it.
        routes.get("/sign-in/{token}") { _, context in
            let token = try context.parameters.require("token")
            return Self.render("portalSignIn", title: "Sign in", SignInView(token: token))
        }
        routes.post("/sign-in") { request, context in
            guard signInLimiter.allow(Self.client(context), rate: Self.signInRate, burst: Self.signInBurst) else {
                return Self.message("Too many attempts", "Too many sign-in attempts from this address; wait a minute and try again.", status: .tooManyRequests)
            }
            return try await Self.explained {
                let fields = try await ConsoleController.form(request)
                let signIn = try await portal.signIn(token: fields["token"] ?? "", at: now())
                var response = ConsoleController.redirect("/portal")
                response.setCookie(Self.cookie(signIn.sessionID, maxAge: Int(PortalService.sessionLifetime)))
                return response
            }
        }
        routes.post("/sign-out") { request, _ in
            try await submitted(request) { _, _ in
                if let cookie = request.cookies[Self.cookieName]?.value { try await portal.signOut(cookie) }
                var response = Self.message("Signed out", "You are signed out. Use a new link from the program manager to sign in again.", status: .ok, back: nil)
                response.setCookie(Self.cookie("", maxAge: 0))
                return response
            }
        }

        routes.get { request, _ in
            try await page(request) { session in
                let overview = try await portal.overview(of: session.partnerID, at: now())
                return Self.render("portalHome", title: "Your referrals", session: session, partner: overview.partner, PortalHomeView(overview))
            }
        }
        routes.get("/referrals/new") { request, _ in
            try await page(request) { session in
                Self.render("portalSubmit", title: "Submit a referral", session: session, partner: try await partner(session), SubmitView())
            }
        }
        routes.post("/referrals") { request, _ in
            try await submitted(request) { session, fields in
                let input = SubmissionInput(
                    prospectName: fields["prospect_name"], domain: fields["domain"], contactName: fields["contact_name"],
                    contactEmail: fields["contact_email"], note: fields["note"])
                do {
                    let submission = try await portal.submit(input, by: session.partnerID, at: now())
                    return ConsoleController.redirect("/portal/submissions/\(submission.id)")
                } catch let error as GatewayError where error.field != nil {
                    // Shown beside its field, with what the partner typed kept in the form.
                    return Self.render(
                        "portalSubmit", title: "Submit a referral", session: session, partner: try await partner(session),
                        SubmitView(input: input, error: error), status: error.status)
                }
            }
        }
        routes.get("/referrals/{id}") { request, context in
            let id = ReferralID(try context.parameters.require("id", as: Int64.self))
            return try await page(request) { session in
                let date = now()
                let record = try await portal.referral(id, of: session.partnerID, at: date)
                let lines = try await portal.lines(of: id, partner: session.partnerID, at: date)
                return Self.render(
                    "portalReferral", title: record.referral.prospectName, session: session, partner: try await partner(session),
                    PortalReferralView(record, lines: lines))
            }
        }
        routes.get("/submissions/{id}") { request, context in
            let id = SubmissionID(try context.parameters.require("id", as: Int64.self))
            return try await page(request) { session in
                let submission = try await portal.submission(id, of: session.partnerID)
                return Self.render(
                    "portalSubmission", title: submission.prospectName, session: session, partner: try await partner(session),
                    PortalSubmissionView(submission))
            }
        }
        routes.get("/statement") { request, _ in
            try await page(request) { session in try await reports.statementResponse(request, partner: session.partnerID, format: .html) }
        }
        routes.get("/statement.csv") { request, _ in
            try await page(request) { session in try await reports.statementResponse(request, partner: session.partnerID, format: .csv) }
        }
    }

    // MARK: Sessions and forms

    private func signedIn(_ request: Request) async throws -> PortalSessionRecord? {
        guard let cookie = request.cookies[Self.cookieName], !cookie.value.isEmpty else { return nil }
        return try await portal.session(cookie.value, at: configuration.now())
    }

    private func partner(_ session: PortalSessionRecord) async throws -> Partner {
        try await portal.partner(session.partnerID)
    }

    /// A page for a signed-in partner; anyone else is told how to sign in.
    private func page(_ request: Request, _ render: (PortalSessionRecord) async throws -> Response) async throws -> Response {
        guard let session = try await signedIn(request) else { return Self.signedOut }
        return try await Self.explained { try await render(session) }
    }

    /// A form post from a signed-in partner, refused unless it carries the session's CSRF token.
    private func submitted(_ request: Request, _ handle: (PortalSessionRecord, [String: String]) async throws -> Response) async throws -> Response {
        guard let session = try await signedIn(request) else { return Self.signedOut }
        return try await Self.explained {
            let fields = try await ConsoleController.form(request)
            guard let csrf = fields["csrf"], ConstantTime.matchesAny(csrf, [Secret(session.csrf)]) else {
                return Self.message("Form refused", "The form did not carry this session's token; reload the page and try again.", status: .forbidden)
            }
            return try await handle(session, fields)
        }
    }

    private static func explained(_ render: () async throws -> Response) async throws -> Response {
        do {
            return try await render()
        } catch let error as GatewayError {
            return message(error.code == .notFound ? "Not found" : "Not done", error.message, status: error.status)
        } catch let error as APIError {
            return message("Not done", error.reason, status: error.status)
        }
    }

    private static func client(_ context: GatewayRequestContext) -> String {
        context.remoteAddress?.ipAddress ?? "unknown"
    }

    private static func cookie(_ value: String, maxAge: Int) -> Cookie {
        Cookie(name: cookieName, value: value, maxAge: maxAge, path: "/portal", secure: true, httpOnly: true, sameSite: .strict)
    }

    static var signedOut: Response {
        message("Partner portal", "Sign in with the link the program manager sent you. Each link works once.", status: .unauthorized, back: nil)
    }

    static func message(_ title: String, _ text: String, status: HTTPResponse.Status, back: String? = "/portal") -> Response {
        ReportsController.html(ConsoleTemplates.render("portalMessage", PortalMessageView(title: title, text: text, back: back)), status: status)
    }

    private static func render<Content>(
        _ template: String, title: String, session: PortalSessionRecord? = nil, partner: Partner? = nil, _ content: Content,
        status: HTTPResponse.Status = .ok
    ) -> Response {
        let frame = ConsolePage<Content>.Frame(title: title, session: session != nil, csrf: session?.csrf ?? "", partnerName: partner?.name)
        let page = ConsolePage(frame: frame, content: content)
        return ReportsController.html(ConsoleTemplates.render(template, page), status: status)
    }
}
