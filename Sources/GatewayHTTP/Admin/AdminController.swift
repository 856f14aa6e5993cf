import Foundation
import GatewayCore
import GatewayStore
import HTTPTypes
import Hummingbird

/// The admin JSON API under `/admin`: partners, plans, referrals, accruals, payouts, give and get,
/// settings, the audit trail, and deliveries.
struct AdminController: Sendable {
    let configuration: GatewayConfiguration
    let database: GatewayDatabase
    let replays: ReplayJobs

    func addRoutes(to router: Router<GatewayRequestContext>) {
        let admin = router.group("/admin").add(middleware: AdminAuthMiddleware(tokens: configuration.adminTokens))
        let now = configuration.now

        admin.get("/partners") { _, _ in try JSONResponse.make(try await database.partners()) }
        admin.post("/partners") { request, context in
            let body = try await request.decode(as: CreatePartnerRequest.self, context: context)
            return try JSONResponse.make(try await database.createPartner(try body.draft(), at: now()), status: .created)
        }
        admin.get("/partners/{id}/accruals") { _, context in
            let id = PartnerID(try context.parameters.require("id", as: Int64.self))
            guard try await database.partner(id) != nil else { throw APIError(.notFound, "not_found", "partner \(id) does not exist") }
            let date = now()
            return try JSONResponse.make(try await database.accruals(partner: id).map { AccrualView($0, at: date) })
        }

        admin.get("/plans") { _, _ in try JSONResponse.make(try await database.plans()) }
        admin.post("/plans") { request, context in
            let body = try await request.decode(as: CreatePlanRequest.self, context: context)
            return try await Self.storing { try JSONResponse.make(try await database.createPlan(try body.draft(), at: now()), status: .created) }
        }
        admin.post("/plans/{id}/versions") { request, context in
            let id = PlanID(try context.parameters.require("id", as: Int64.self))
            let body = try await request.decode(as: PlanTermsRequest.self, context: context)
            return try await Self.storing {
                try JSONResponse.make(try await database.addPlanVersion(id, try body.terms(defaultEffectiveFrom: nil), at: now()), status: .created)
            }
        }

        admin.get("/referrals") { _, _ in try JSONResponse.make(try await database.referrals(at: now())) }
        admin.post("/referrals") { request, context in
            let body = try await request.decode(as: CreateReferralRequest.self, context: context)
            return try await Self.storing {
                try JSONResponse.make(try await database.createReferral(try body.draft(now: now()), at: now()), status: .created)
            }
        }
        admin.post("/referrals/{id}/qualify") { request, context in
            let id = ReferralID(try context.parameters.require("id", as: Int64.self))
            let body = try await request.decode(as: ReferralStepRequest.self, context: context)
            let date = now()
            return try await Self.storing { try JSONResponse.make(try await database.qualifyReferral(id, on: body.on ?? date, at: date)) }
        }
        admin.post("/referrals/{id}/lose") { request, context in
            let id = ReferralID(try context.parameters.require("id", as: Int64.self))
            let body = try await request.decode(as: ReferralStepRequest.self, context: context)
            let date = now()
            return try await Self.storing {
                try JSONResponse.make(try await database.loseReferral(id, on: body.on ?? date, reason: body.reason ?? "", at: date))
            }
        }
        admin.post("/referrals/{id}/override") { request, context in
            let id = ReferralID(try context.parameters.require("id", as: Int64.self))
            let body = try await request.decode(as: OverrideRequest.self, context: context)
            guard let key = body.customerKey else {
                throw APIError(.badRequest, "invalid_field", "customer must be <source>:<id>, e.g. stripe:cus_123")
            }
            return try await Self.storing {
                try JSONResponse.make(try await database.overrideAttribution(customerKey: key, to: id, reason: body.reason, at: now()))
            }
        }

        admin.get("/contracts") { _, _ in try JSONResponse.make(try await database.contracts()) }
        admin.get("/conflicts") { _, _ in try JSONResponse.make(try await database.conflicts()) }
        admin.get("/accruals") { request, _ in
            let date = now()
            var accruals = try await database.allAccruals()
            if let partner = request.uri.queryParameters.get("partner_id", as: Int64.self) {
                accruals = accruals.filter { $0.partnerID == PartnerID(partner) }
            }
            var views = accruals.map { AccrualView($0, at: date) }
            if let status = request.uri.queryParameters.get("status") {
                guard let wanted = Accrual.Status(rawValue: status) else {
                    throw APIError(
                        .badRequest, "invalid_field", "status must be one of \(Accrual.Status.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                views = views.filter { $0.status == wanted }
            }
            return try JSONResponse.make(views)
        }
        admin.post("/accruals/{id}/approve") { _, context in
            let id = AccrualID(try context.parameters.require("id", as: Int64.self))
            return try await Self.storing { try JSONResponse.make(AccrualView(try await database.approveAccrual(id, at: now()), at: now())) }
        }

        admin.get("/payouts") { _, _ in try JSONResponse.make(try await database.payouts()) }
        admin.post("/payouts") { request, context in
            let body = try await request.decode(as: PayoutRequest.self, context: context)
            return try await Self.storing { try JSONResponse.make(try await database.createPayout(note: body.note, at: now()), status: .created) }
        }
        admin.post("/payouts/{id}/paid") { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            return try await Self.storing { try JSONResponse.make(try await database.markPayoutPaid(id, at: now())) }
        }

        admin.get("/outbound-referrals") { _, _ in try JSONResponse.make(try await database.outboundReferrals()) }
        admin.post("/outbound-referrals") { request, context in
            let body = try await request.decode(as: OutboundReferralRequest.self, context: context)
            guard !body.clientName.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw APIError(.badRequest, "invalid_field", "client_name must not be empty")
            }
            return try await Self.storing {
                try JSONResponse.make(
                    try await database.recordOutboundReferral(
                        partner: body.partnerID, clientName: body.clientName, on: body.referredAt ?? now(), monthlyValue: body.monthlyValue,
                        note: body.note, at: now()), status: .created)
            }
        }
        admin.get("/give-get") { request, _ in
            let quiet = request.uri.queryParameters.get("quiet_days", as: Int.self) ?? 90
            return try JSONResponse.make(try await database.giveGet(at: now(), quietAfterDays: max(1, quiet)))
        }

        admin.get("/settings") { _, _ in try JSONResponse.make(try await database.programSettings()) }
        admin.put("/settings") { request, context in
            let settings = try await request.decode(as: ProgramSettings.self, context: context)
            try await database.setProgramSettings(settings, at: now())
            return try JSONResponse.make(settings)
        }
        admin.get("/audit") { _, _ in try JSONResponse.make(try await database.auditLog()) }
        admin.post("/ledger/rebuild") { _, _ in
            try await database.rebuildLedger(at: now())
            return try JSONResponse.make(["result": "rebuilt"])
        }

        admin.get("/deliveries") { request, _ in
            try JSONResponse.make(try await database.deliveries(matching: try Self.query(request)).map { DeliveryView($0) })
        }
        admin.get("/deliveries/{id}") { _, context in
            let id = DeliveryID(try context.parameters.require("id", as: Int64.self))
            guard let delivery = try await database.delivery(id) else {
                throw APIError(.notFound, "not_found", "delivery \(id) does not exist")
            }
            let date = now()
            return try JSONResponse.make(
                DeliveryView(
                    delivery, detail: try await database.businessEvents(of: id),
                    accruals: try await database.accruals(fromDelivery: id).map { AccrualView($0, at: date) }))
        }
        admin.post("/deliveries/{id}/replay") { request, context in
            let id = DeliveryID(try context.parameters.require("id", as: Int64.self))
            guard try await database.delivery(id) != nil else { throw APIError(.notFound, "not_found", "delivery \(id) does not exist") }
            let dryRun = request.uri.queryParameters.get("dry_run", as: Bool.self) ?? false
            return try JSONResponse.make(try await replays.run([id], dryRun: dryRun, at: now()))
        }
        admin.get("/rejections") { request, _ in
            let parameters = request.uri.queryParameters
            return try JSONResponse.make(
                try await database.rejections(
                    source: parameters.get("source"), code: parameters.get("code"), since: try Self.date(parameters.get("since"), "since"),
                    limit: min(max(parameters.get("limit", as: Int.self) ?? 100, 1), 1000)))
        }
        admin.post("/replays") { request, context in
            let body = try await request.decode(as: ReplayRequest.self, context: context)
            let ids: [DeliveryID]
            if let listed = body.deliveryIDs {
                ids = listed.map(DeliveryID.init)
            } else {
                ids = try await database.deliveryIDs(matching: try body.filter?.query() ?? DeliveryQuery())
            }
            if body.background == true || ids.count > 100 {
                return try JSONResponse.make(await replays.start(ids, dryRun: body.dryRun ?? false, now: now), status: .accepted)
            }
            return try JSONResponse.make(try await replays.run(ids, dryRun: body.dryRun ?? false, at: now()))
        }
        admin.get("/replays") { _, _ in try JSONResponse.make(await replays.all()) }
        admin.get("/replays/{id}") { _, context in
            let id = try context.parameters.require("id", as: Int.self)
            guard let job = await replays.job(id) else { throw APIError(.notFound, "not_found", "replay \(id) does not exist") }
            return try JSONResponse.make(job)
        }
        admin.delete("/replays/{id}") { _, context in
            let id = try context.parameters.require("id", as: Int.self)
            guard let job = await replays.cancel(id) else { throw APIError(.notFound, "not_found", "replay \(id) does not exist") }
            return try JSONResponse.make(job)
        }
    }

    /// `?source=&status=&event_type=&vendor_id=&customer=&from=&to=&before=&limit=`; `status` may list
    /// several, and `duplicate` means deliveries the vendor retried.
    static func query(_ request: Request) throws -> DeliveryQuery {
        let parameters = request.uri.queryParameters
        var statuses: [DeliveryStatus] = []
        var duplicates = false
        for text in (parameters.get("status") ?? "").split(separator: ",").map(String.init) {
            if text == "duplicate" {
                duplicates = true
            } else if let status = DeliveryStatus(rawValue: text) {
                statuses.append(status)
            } else {
                throw APIError(
                    .badRequest, "invalid_field",
                    "status must be among \((DeliveryStatus.allCases.map(\.rawValue) + ["duplicate"]).joined(separator: ", ")); refused requests are at /admin/rejections")
            }
        }
        return DeliveryQuery(
            source: parameters.get("source"), statuses: statuses, duplicatesOnly: duplicates, eventType: parameters.get("event_type"),
            vendorDeliveryID: parameters.get("vendor_id"), customer: parameters.get("customer"), receivedFrom: try date(parameters.get("from"), "from"),
            receivedBefore: try date(parameters.get("to"), "to"), beforeID: parameters.get("before", as: Int64.self),
            limit: min(max(parameters.get("limit", as: Int.self) ?? 100, 1), 1000))
    }

    static func date(_ text: String?, _ name: String) throws -> Date? {
        guard let text else { return nil }
        guard let date = try? Date(text, strategy: .iso8601) else {
            throw APIError(.badRequest, "invalid_field", "\(name) must be an ISO 8601 timestamp")
        }
        return date
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
