import Foundation
import GatewayCore
import GatewayEngine
import GatewayRepositories
import HTTPTypes
import Hummingbird

/// The admin JSON API under `/admin`: partners, plans, referrals, accruals, payouts, give and get,
/// settings, the audit trail, and deliveries. Each route decodes, calls one engine use case, and
/// encodes; refusals answer through `GatewayError`'s one mapping.
struct AdminController: Sendable {
    let configuration: GatewayConfiguration
    let store: any Repositories
    let replays: ReplayJobs
    let rejections: RejectionLog

    func addRoutes(to router: Router<GatewayRequestContext>) {
        let admin = router.group("/admin").add(middleware: AdminAuthMiddleware(tokens: configuration.adminTokens))
        let now = configuration.now
        let program = ProgramService(store: store)
        let reports = ReportService(store: store)

        admin.get("/partners") { _, _ in try JSONResponse.make(try await program.partners()) }
        admin.post("/partners") { request, context in
            let input = try await request.decodeInput(as: PartnerInput.self, context: context)
            return try JSONResponse.make(try await program.addPartner(input, at: now()), status: .created)
        }
        admin.put("/partners/{id}") { request, context in
            let id = PartnerID(try context.parameters.require("id", as: Int64.self))
            let input = try await request.decodeInput(as: PartnerInput.self, context: context)
            return try JSONResponse.make(try await program.updatePartner(id, input, at: now()))
        }
        for (action, active) in [("deactivate", false), ("reactivate", true)] {
            admin.post("/partners/{id}/\(action)") { _, context in
                let id = PartnerID(try context.parameters.require("id", as: Int64.self))
                return try JSONResponse.make(try await program.setPartnerActive(id, active, at: now()))
            }
        }
        admin.get("/partners/{id}/accruals") { _, context in
            let id = try await program.partner(PartnerID(try context.parameters.require("id", as: Int64.self))).id
            let date = now()
            return try JSONResponse.make(try await store.ledger.accruals(partner: id).map { AccrualView($0, at: date) })
        }

        admin.get("/plans") { _, _ in try JSONResponse.make(try await program.plans()) }
        admin.post("/plans") { request, context in
            let input = try await request.decodeInput(as: PlanInput.self, context: context)
            return try JSONResponse.make(try await program.addPlan(input, at: now()), status: .created)
        }
        admin.post("/plans/{id}/versions") { request, context in
            let id = PlanID(try context.parameters.require("id", as: Int64.self))
            let terms = try await request.decodeInput(as: PlanTerms.self, context: context)
            return try JSONResponse.make(try await program.addPlanVersion(id, terms, at: now()), status: .created)
        }

        admin.get("/referrals") { _, _ in try JSONResponse.make(try await program.referrals(at: now())) }
        admin.post("/referrals") { request, context in
            let input = try await request.decodeInput(as: ReferralInput.self, context: context)
            return try JSONResponse.make(try await program.addReferral(input, at: now()), status: .created)
        }
        admin.post("/referrals/{id}/qualify") { request, context in
            let id = ReferralID(try context.parameters.require("id", as: Int64.self))
            let step = try await request.decodeInput(as: ReferralStep.self, context: context)
            return try JSONResponse.make(try await program.qualifyReferral(id, on: step.on, at: now()))
        }
        admin.post("/referrals/{id}/lose") { request, context in
            let id = ReferralID(try context.parameters.require("id", as: Int64.self))
            let step = try await request.decodeInput(as: ReferralStep.self, context: context)
            return try JSONResponse.make(try await program.loseReferral(id, on: step.on, reason: step.reason, at: now()))
        }
        admin.post("/referrals/{id}/override") { request, context in
            let id = ReferralID(try context.parameters.require("id", as: Int64.self))
            let body = try await request.decodeInput(as: OverrideRequest.self, context: context)
            return try JSONResponse.make(try await program.overrideAttribution(id, customer: body.customer, reason: body.reason, at: now()))
        }

        admin.get("/contracts") { _, _ in try JSONResponse.make(try await store.ledger.contracts()) }
        admin.get("/conflicts") { _, _ in try JSONResponse.make(try await store.ledger.conflicts()) }
        admin.get("/accruals") { request, _ in
            let date = now()
            var accruals = try await store.ledger.allAccruals()
            if let partner = request.uri.queryParameters.get("partner_id", as: Int64.self) {
                let id = try await program.partner(PartnerID(partner)).id
                accruals = accruals.filter { $0.partnerID == id }
            }
            var views = accruals.map { AccrualView($0, at: date) }
            if let status = request.uri.queryParameters.get("status") {
                let wanted = try ProgramValidation.choice(status, "status", Accrual.Status.self)
                views = views.filter { $0.status == wanted }
            }
            return try JSONResponse.make(views)
        }
        admin.post("/accruals/{id}/approve") { _, context in
            let id = AccrualID(try context.parameters.require("id", as: Int64.self))
            let date = now()
            return try JSONResponse.make(AccrualView(try await program.approveAccrual(id, at: date), at: date))
        }

        admin.get("/payouts") { _, _ in try JSONResponse.make(try await program.payouts()) }
        admin.post("/payouts") { request, context in
            let body = try await request.decodeInput(as: PayoutRequest.self, context: context)
            return try JSONResponse.make(try await program.createPayout(note: body.note, at: now()), status: .created)
        }
        admin.post("/payouts/{id}/paid") { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            return try JSONResponse.make(try await program.markPayoutPaid(id, at: now()))
        }

        admin.get("/outbound-referrals") { _, _ in try JSONResponse.make(try await program.outboundReferrals()) }
        admin.post("/outbound-referrals") { request, context in
            let input = try await request.decodeInput(as: OutboundReferralInput.self, context: context)
            return try JSONResponse.make(try await program.addOutboundReferral(input, at: now()), status: .created)
        }
        admin.get("/give-get") { request, _ in
            let parameters = request.uri.queryParameters
            let quiet = parameters.get("quiet_days", as: Int.self) ?? 90
            if try ReportQuery.flag(request, "owed") { return try JSONResponse.make(try await reports.owedGiveBack(at: now(), quietAfterDays: quiet)) }
            return try JSONResponse.make(try await reports.giveGet(at: now(), quietAfterDays: quiet))
        }

        admin.get("/settings") { _, _ in try JSONResponse.make(try await program.settings()) }
        admin.put("/settings") { request, context in
            let input = try await request.decodeInput(as: SettingsInput.self, context: context)
            return try JSONResponse.make(try await program.updateSettings(input, at: now()))
        }
        admin.get("/audit") { _, _ in try JSONResponse.make(try await program.auditLog()) }
        admin.post("/ledger/rebuild") { _, _ in
            try await program.rebuildLedger(at: now())
            return try JSONResponse.make(["result": "rebuilt"])
        }

        admin.get("/deliveries") { request, _ in
            try JSONResponse.make(try await store.inbox.deliveries(matching: try Self.query(request)).map { DeliveryView($0) })
        }
        admin.get("/deliveries/{id}") { _, context in
            let id = DeliveryID(try context.parameters.require("id", as: Int64.self))
            guard let delivery = try await store.inbox.delivery(id) else { throw GatewayError.notFound("delivery \(id) does not exist") }
            let date = now()
            return try JSONResponse.make(
                DeliveryView(
                    delivery, detail: try await store.inbox.businessEvents(of: id),
                    accruals: try await store.ledger.accruals(fromDelivery: id).map { AccrualView($0, at: date) }))
        }
        admin.post("/deliveries/{id}/replay") { request, context in
            let id = DeliveryID(try context.parameters.require("id", as: Int64.self))
            guard try await store.inbox.delivery(id) != nil else { throw GatewayError.notFound("delivery \(id) does not exist") }
            let dryRun = request.uri.queryParameters.get("dry_run", as: Bool.self) ?? false
            return try JSONResponse.make(try await replays.run([id], dryRun: dryRun, at: now()))
        }
        admin.get("/rejections") { request, _ in
            // What was refused until now is listed, not only what the last flush wrote.
            try await rejections.flush()
            let parameters = request.uri.queryParameters
            return try JSONResponse.make(
                try await store.inbox.rejections(
                    source: parameters.get("source"), code: parameters.get("code"), since: try DateInput.parseIfPresent(parameters.get("since"), field: "since"),
                    limit: min(max(parameters.get("limit", as: Int.self) ?? 100, 1), 1000)))
        }
        admin.get("/rejections/counts") { _, _ in
            try await rejections.flush()
            return try JSONResponse.make(try await store.inbox.rejectionCounts())
        }
        admin.post("/replays") { request, context in
            let body = try await request.decodeInput(as: ReplayRequest.self, context: context)
            let ids: [DeliveryID]
            if let listed = body.deliveryIDs {
                ids = listed.map(DeliveryID.init)
                for id in ids where try await store.inbox.delivery(id) == nil {
                    throw GatewayError.notFound("delivery \(id) does not exist")
                }
            } else {
                ids = try await store.inbox.deliveryIDs(matching: try (body.filter ?? DeliveryFilter()).query())
            }
            if body.background == true || ids.count > 100 {
                return try JSONResponse.make(await replays.start(ids, dryRun: body.dryRun ?? false, now: now), status: .accepted)
            }
            return try JSONResponse.make(try await replays.run(ids, dryRun: body.dryRun ?? false, at: now()))
        }
        admin.get("/replays") { _, _ in try JSONResponse.make(await replays.all()) }
        admin.get("/replays/{id}") { _, context in
            let id = try context.parameters.require("id", as: Int.self)
            guard let job = await replays.job(id) else { throw GatewayError.notFound("replay \(id) does not exist") }
            return try JSONResponse.make(job)
        }
        admin.delete("/replays/{id}") { _, context in
            let id = try context.parameters.require("id", as: Int.self)
            guard let job = await replays.cancel(id) else { throw GatewayError.notFound("replay \(id) does not exist") }
            return try JSONResponse.make(job)
        }
    }

    /// `?source=&status=&event_type=&vendor_id=&customer=&from=&to=&before=&limit=`; `status` may list
    /// several, and `duplicate` means deliveries the vendor retried.
    static func query(_ request: Request) throws -> DeliveryQuery {
        let parameters = request.uri.queryParameters
        return try DeliveryFilter(
            source: parameters.get("source"), statuses: (parameters.get("status") ?? "").split(separator: ",").map(String.init),
            eventType: parameters.get("event_type"), vendorID: parameters.get("vendor_id"), customer: parameters.get("customer"),
            from: parameters.get("from"), to: parameters.get("to")
        ).query(beforeID: parameters.get("before", as: Int64.self), limit: parameters.get("limit", as: Int.self) ?? 100)
    }
}

/// `POST /admin/referrals/{id}/qualify` and `/lose`.
private struct ReferralStep: Decodable {
    var on: String?
    var reason: String?
}

/// `POST /admin/referrals/{id}/override`.
private struct OverrideRequest: Decodable {
    /// The customer as `<source>:<id>` (`stripe:cus_123`).
    var customer: String?
    var reason: String?
}

/// `POST /admin/payouts`.
private struct PayoutRequest: Decodable {
    var note: String?
}

/// `POST /admin/replays`: ids, or a filter, and whether to only report.
private struct ReplayRequest: Decodable {
    var deliveryIDs: [Int64]?
    var filter: DeliveryFilter?
    var dryRun: Bool?
    var background: Bool?

    enum CodingKeys: String, CodingKey {
        case filter, background
        case deliveryIDs = "delivery_ids"
        case dryRun = "dry_run"
    }
}
