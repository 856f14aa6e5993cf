import Foundation
import GatewayCore
import GatewayEngine
import HTTPTypes
import Hummingbird

/// `/admin/backfills`: start a backfill from a vendor's API in the background (202 with the job)
/// and follow its progress.
struct BackfillsController: Sendable {
    let configuration: GatewayConfiguration
    let backfills: BackfillJobs

    func addRoutes(to router: Router<GatewayRequestContext>) {
        let admin = router.group("/admin").add(middleware: AdminAuthMiddleware(tokens: configuration.adminTokens))
        admin.post("/backfills") { request, context in
            let input = try await request.decodeInput(as: BackfillInput.self, context: context)
            return try JSONResponse.make(try await backfills.start(source: input.source, since: input.since), status: .accepted)
        }
        admin.get("/backfills") { _, _ in try JSONResponse.make(await backfills.all()) }
        admin.get("/backfills/{id}") { _, context in
            let id = try context.parameters.require("id", as: Int.self)
            guard let job = await backfills.job(id) else { throw GatewayError.notFound("backfill \(id) does not exist") }
            return try JSONResponse.make(job)
        }
    }
}
