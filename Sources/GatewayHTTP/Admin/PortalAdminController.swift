import Foundation
import GatewayCore
import GatewayEngine
import GatewayRepositories
import HTTPTypes
import Hummingbird

/// The admin's side of the partner portal, under `/admin`: sign-in links for partners, and the
/// referrals partners submitted, to accept on a plan or decline with a reason.
struct PortalAdminController: Sendable {
    let configuration: GatewayConfiguration
    let portal: PortalService

    init(configuration: GatewayConfiguration, store: any Repositories) {
        self.configuration = configuration
        self.portal = PortalService(store: store)
    }

    struct LinkRequest: Decodable {
        var days: Int?
    }

    struct Decision: Decodable {
        var planID: Int64?
        var reason: String?

        enum CodingKeys: String, CodingKey {
            case reason
            case planID = "plan_id"
        }
    }

    func addRoutes(to router: Router<GatewayRequestContext>) {
        let admin = router.group("/admin").add(middleware: AdminAuthMiddleware(tokens: configuration.adminTokens))
        let now = configuration.now

        admin.post("/partners/{id}/portal-links") { request, context in
            let id = PartnerID(try context.parameters.require("id", as: Int64.self))
            // Collected into the request, so that decoding reads the same bytes again.
            var request = request
            let body = try await request.collectBody(upTo: 4_096)
            let days = body.readableBytes == 0 ? nil : try await request.decodeInput(as: LinkRequest.self, context: context).days
            let link = try await portal.issueLink(for: id, days: days, at: now())
            return try JSONResponse.make(link.issued(base: publicURL(request)), status: .created)
        }
        admin.get("/submissions") { request, _ in
            let status = try request.uri.queryParameters.get("status").map { text throws(GatewayError) in
                try ProgramValidation.choice(text, "status", ReferralSubmission.Status.self)
            }
            return try JSONResponse.make(try await portal.submissionsForReview(status: status))
        }
        admin.get("/submissions/{id}") { _, context in
            let id = SubmissionID(try context.parameters.require("id", as: Int64.self))
            return try JSONResponse.make(try await portal.submissionForReview(id))
        }
        admin.post("/submissions/{id}/accept") { request, context in
            let id = SubmissionID(try context.parameters.require("id", as: Int64.self))
            let decision = try await request.decodeInput(as: Decision.self, context: context)
            return try JSONResponse.make(try await portal.accept(id, plan: decision.planID, at: now()))
        }
        admin.post("/submissions/{id}/decline") { request, context in
            let id = SubmissionID(try context.parameters.require("id", as: Int64.self))
            let decision = try await request.decodeInput(as: Decision.self, context: context)
            return try JSONResponse.make(try await portal.decline(id, reason: decision.reason, at: now()))
        }
    }

    /// Where partners reach the gateway: `GATEWAY_PUBLIC_URL`, else the address this request came to.
    func publicURL(_ request: Request) -> String {
        Self.publicURL(configuration: configuration, request: request)
    }

    static func publicURL(configuration: GatewayConfiguration, request: Request) -> String {
        if let configured = configuration.publicURL { return configured }
        let host = request.head.authority ?? "\(configuration.host):\(configuration.port)"
        return "http://\(host)"
    }
}
