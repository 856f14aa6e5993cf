import Foundation
import GatewayCore
import GatewayStore
import HTTPTypes
import Hummingbird

/// The admin JSON API under `/admin`: partners, plans, referrals, accruals and deliveries.
struct AdminController: Sendable {
    let configuration: GatewayConfiguration
    let database: GatewayDatabase

    func addRoutes(to router: Router<GatewayRequestContext>) {
        let admin = router.group("/admin").add(middleware: AdminAuthMiddleware(tokens: configuration.adminTokens))
        admin.get("/partners") { _, _ in try JSONResponse.make(try await database.partners()) }
        admin.post("/partners") { request, context in
            let body = try await request.decode(as: CreatePartnerRequest.self, context: context)
            return try JSONResponse.make(try await database.createPartner(try body.draft(), at: configuration.now()), status: .created)
        }
        admin.get("/partners/{id}/accruals") { _, context in
            let id = PartnerID(try context.parameters.require("id", as: Int64.self))
            guard try await database.partner(id) != nil else { throw APIError(.notFound, "not_found", "partner \(id) does not exist") }
            return try JSONResponse.make(try await database.accruals(partner: id))
        }
        admin.get("/plans") { _, _ in try JSONResponse.make(try await database.plans()) }
        admin.post("/plans") { request, context in
            let body = try await request.decode(as: CreatePlanRequest.self, context: context)
            return try await Self.storing { try JSONResponse.make(try await database.createPlan(try body.draft()), status: .created) }
        }
        admin.get("/referrals") { _, _ in try JSONResponse.make(try await database.referrals()) }
        admin.post("/referrals") { request, context in
            let body = try await request.decode(as: CreateReferralRequest.self, context: context)
            return try await Self.storing {
                try JSONResponse.make(try await database.createReferral(try body.draft(now: configuration.now())), status: .created)
            }
        }
        admin.get("/contracts") { _, _ in try JSONResponse.make(try await database.contracts()) }
        admin.get("/deliveries") { request, _ in
            let status = try request.uri.queryParameters.get("status").map { text in
                guard let status = DeliveryStatus(rawValue: text) else {
                    throw APIError(
                        .badRequest, "invalid_field",
                        "status must be one of \(DeliveryStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return status
            }
            let limit = min(max(request.uri.queryParameters.get("limit", as: Int.self) ?? 100, 1), 1000)
            return try JSONResponse.make(try await database.deliveries(status: status, limit: limit).map { DeliveryView($0) })
        }
        admin.get("/deliveries/{id}") { _, context in
            let id = DeliveryID(try context.parameters.require("id", as: Int64.self))
            guard let delivery = try await database.delivery(id) else {
                throw APIError(.notFound, "not_found", "delivery \(id) does not exist")
            }
            return try JSONResponse.make(DeliveryView(delivery, detail: try await database.businessEvents(of: id)))
        }
    }

    /// Runs a write and turns a store refusal into its HTTP answer.
    private static func storing(_ write: () async throws -> Response) async throws -> Response {
        do {
            return try await write()
        } catch let error as StoreError {
            throw APIError(error)
        }
    }
}
