import ArgumentParser
import Foundation
import GatewayCore
import GatewayEngine
import GatewayViews

/// `--from` and `--to`: days (`2025-06-01`, `to` included) or ISO 8601 timestamps.
struct PeriodOptions: ParsableArguments {
    @Option(help: "First day of the period, e.g. 2025-06-01.") var from: String?
    @Option(help: "Last day of the period (included), e.g. 2025-06-30.") var to: String?

    func period(default fallback: ReportPeriod) throws -> ReportPeriod {
        do {
            return try ReportPeriod(from: from, to: to, default: fallback)
        } catch {
            throw ValidationError(error.reason)
        }
    }
}

/// `referral-gateway statement`: a partner's statement as JSON, CSV or printable HTML.
struct StatementCommand: AsyncParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable { case json, csv, html }

    static let configuration = CommandConfiguration(
        commandName: "statement", abstract: "A partner's statement for a period (this month by default).")

    @Option(help: "The partner's id.") var partner: Int64
    @Option(help: "json, csv or html.") var format: Format = .json
    @OptionGroup var period: PeriodOptions
    @OptionGroup var storage: StorageOptions

    func run() async throws {
        let now = Date()
        let statement = try await ReportService(store: try await storage.openStore()).statement(
            partner: PartnerID(partner), period: try period.period(default: .month(containing: now)), at: now)
        switch format {
        case .json: Output.print(statement)
        case .csv: print(statement.csv, terminator: "")
        case .html: print(statement.html)
        }
    }
}

/// `referral-gateway metrics`: the program's metrics (the trailing year by default).
struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics", abstract: "Referral-sourced MRR share, conversion, K-factor, MRR by partner and kind, retention, top partners.")

    @Option(help: "Which top share of partners to list, in percent.") var topPercent: Int = 15
    @OptionGroup var period: PeriodOptions
    @OptionGroup var storage: StorageOptions

    func validate() throws {
        guard (1...100).contains(topPercent) else { throw ValidationError("--top-percent must be 1 to 100") }
    }

    func run() async throws {
        let now = Date()
        Output.print(
            try await ReportService(store: try await storage.openStore()).programMetrics(
                period: try period.period(default: .trailingYear(to: now)), at: now, topPercent: topPercent))
    }
}

/// `referral-gateway reviews add|list|kpis` and the client roster they refer to.
struct ReviewsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reviews", abstract: "Client review meetings and their KPIs.", subcommands: [Clients.self, Add.self, List.self, KPIs.self, Due.self])

    struct Clients: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List client companies (their keys are what reviews name).")
        @OptionGroup var storage: StorageOptions

        func run() async throws { Output.print(try await ReportService(store: try await storage.openStore()).clientRoster().clients) }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a review meeting with a client.")
        @Option(help: "The client's key, e.g. domain:brightdental.example.") var client: String
        @Option(help: "One of: \(ClientReview.Outcome.allCases.map(\.rawValue).joined(separator: ", ")).") var outcome: String
        @Option(help: "The day of the meeting (today by default).") var on: String?
        @Option(help: "A note.") var note: String?
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let input = ClientReviewInput(client: client, reviewedOn: on, outcome: outcome, note: note)
            Output.print(try await ProgramService(store: try await storage.openStore()).addClientReview(input, at: Date()))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List reviews, oldest first.")
        @OptionGroup var storage: StorageOptions

        func run() async throws { Output.print(try await ProgramService(store: try await storage.openStore()).clientReviews()) }
    }

    struct Due: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Who to ask for a referral next: clients at a high-intent moment (90 days in, renewed, expanded, reviewed healthy) with no recent ask.")
        @Option(help: "Moments, and asks, in this many days (the settings' ask_window_days by default).") var days: Int?
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            Output.print(try await ReportService(store: try await storage.openStore()).askNext(at: Date(), windowDays: days))
        }
    }

    struct KPIs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "kpis", abstract: "Clients reviewed, reviews per month, health, risk and unknown status.")
        @OptionGroup var period: PeriodOptions
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            Output.print(
                try await ReportService(store: try await storage.openStore()).clientReviewKPIs(period: try period.period(default: .trailingYear(to: Date()))))
        }
    }
}
