import Foundation
import GatewayCore
import GatewayEngine
import GatewayRepositories
import HTTPTypes
import Hummingbird

/// `POST /admin/imports/{kind}` with a `text/csv` body: the engine's import, as the command line's
/// `import` runs it. The answer is the report: 200 when applied (or a clean dry run), 422 with
/// every refused row when any row was refused (nothing is written then).
struct ImportsController: Sendable {
    let configuration: GatewayConfiguration
    let store: any Repositories

    func addRoutes(to router: Router<GatewayRequestContext>) {
        let admin = router.group("/admin").add(middleware: AdminAuthMiddleware(tokens: configuration.adminTokens))
        let imports = ImportService(store: store)
        let now = configuration.now
        admin.post("/imports/{kind}") { request, context in
            let kind = try ImportKind(named: try context.parameters.require("kind"))
            let dryRun = try ReportQuery.flag(request, "dry_run")
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: CSVImportFile.maximumBytes + 1)
            } catch {
                throw GatewayError.invalid("the file is larger than \(CSVImportFile.maximumBytes) bytes (10 MB): split it")
            }
            let report = try await imports.run(kind, Data(body.readableBytesView), dryRun: dryRun, at: now())
            return try JSONResponse.make(report, status: report.refused.isEmpty ? .ok : .unprocessableContent)
        }
    }
}
