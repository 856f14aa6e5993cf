import Foundation
import GatewayCore
import GatewayViews
import GatewayEngine
import GatewayRepositories
import HTTPTypes
import Hummingbird

/// What the MSP reads, under `/admin` beside the admin API: partner statements (JSON, CSV,
/// printable HTML), payout exports, program metrics, the client roster and client reviews.
struct ReportsController: Sendable {
    let configuration: GatewayConfiguration
    let reports: ReportService
    let program: ProgramService

    init(configuration: GatewayConfiguration, store: any Repositories) {
        self.configuration = configuration
        self.reports = ReportService(store: store)
        self.program = ProgramService(store: store)
    }

    func addRoutes(to router: Router<GatewayRequestContext>) {
        let admin = router.group("/admin").add(middleware: AdminAuthMiddleware(tokens: configuration.adminTokens))
        let now = configuration.now

        admin.get("/partners/{id}/statement") { request, context in
            try await statementResponse(
                request, partner: PartnerID(try context.parameters.require("id", as: Int64.self)), format: try ReportQuery.format(request))
        }
        admin.get("/payouts/{id}/export") { _, context in
            try await exportResponse(try context.parameters.require("id", as: Int64.self), .json)
        }
        admin.get("/payouts/{id}/bills.csv") { _, context in
            try await exportResponse(try context.parameters.require("id", as: Int64.self), .bills)
        }
        admin.get("/payouts/{id}/credits.csv") { _, context in
            try await exportResponse(try context.parameters.require("id", as: Int64.self), .credits)
        }
        admin.get("/metrics") { request, _ in
            let date = now()
            let parameters = request.uri.queryParameters
            return try JSONResponse.make(
                try await reports.programMetrics(
                    period: try ReportQuery.period(request, default: .trailingYear(to: date)), at: date,
                    topPercent: parameters.get("top_percent", as: Int.self) ?? 15, quietAfterDays: parameters.get("quiet_days", as: Int.self) ?? 90))
        }
        admin.get("/clients") { _, _ in try JSONResponse.make(try await reports.clientRoster().clients) }
        admin.get("/client-reviews") { _, _ in try JSONResponse.make(try await program.clientReviews()) }
        admin.post("/client-reviews") { request, context in
            let input = try await request.decodeInput(as: ClientReviewInput.self, context: context)
            return try JSONResponse.make(try await program.addClientReview(input, at: now()), status: .created)
        }
        admin.get("/ask-next") { request, _ in
            let days = try ReportQuery.integer(request, "days")
            return try JSONResponse.make(try await reports.askNext(at: now(), windowDays: days))
        }
        admin.get("/client-reviews/kpis") { request, _ in
            try JSONResponse.make(try await reports.clientReviewKPIs(period: try ReportQuery.period(request, default: .trailingYear(to: now()))))
        }
    }

    /// A partner's statement for `?from=&to=` (this month by default) in `format`; the console's
    /// printable and CSV links answer through this too.
    func statementResponse(_ request: Request, partner id: PartnerID, format: ReportQuery.Format) async throws -> Response {
        let date = configuration.now()
        let period = try ReportQuery.period(request, default: .month(containing: date))
        let statement = try await reports.statement(partner: id, period: period, at: date)
        switch format {
        case .json: return try JSONResponse.make(statement)
        case .csv: return Self.csv(statement.csv, filename: "statement-partner-\(id)-\(Display.day(statement.period.start)).csv")
        case .html: return Self.html(statement.html)
        }
    }

    /// Which part of a payout export to answer with.
    enum ExportPart {
        case json, bills, credits
    }

    func exportResponse(_ id: Int64, _ part: ExportPart) async throws -> Response {
        let export = try await reports.payoutExport(id)
        switch part {
        case .json: return try JSONResponse.make(export)
        case .bills: return Self.csv(export.billsCSV, filename: "payout-\(id)-bills.csv")
        case .credits: return Self.csv(export.creditsCSV, filename: "payout-\(id)-credits.csv")
        }
    }

    static func csv(_ text: String, filename: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(filename)\""],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: ConsoleSecurity.htmlHeaders, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
