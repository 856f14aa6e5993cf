import ArgumentParser
import AsyncHTTPClient
import Foundation
import GatewayCore
import GatewayEngine
import GatewayRepositories

#if canImport(Glibc)
    import Glibc
#endif

/// `referral-gateway backfill stripe|quickbooks|connectwise|autotask --since 2024-12-01`.
struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill", abstract: "Bring a vendor's history into the inbox from its API.", subcommands: [Stripe.self, QuickBooks.self, ConnectWise.self, Autotask.self])

    /// What every vendor's backfill command takes.
    struct Options: ParsableArguments {
        @Option(help: "The first day to read (2024-12-01), or an ISO 8601 timestamp.") var since: String
        @Flag(help: "Only store; leave processing to the server or `process`.") var noProcess = false
        @OptionGroup var processing: ProcessingOptions
        @OptionGroup var storage: StorageOptions

        /// Runs `backfill` with progress on standard error, prints what it stored, then processes it.
        ///
        /// - Parameter backfill: reads the vendor's lists into `store`, reporting progress.
        func run(
            _ vendor: String,
            backfill: (_ since: Date, _ store: any Repositories, _ progress: @escaping @Sendable (BackfillProgress) -> Void) async throws(FetchFailure) ->
                BackfillSummary
        ) async throws {
            let since = try DateInput.parse(since, field: "since")
            // Read before the first request, so a wrong adapters directory fails before any work.
            _ = try storage.loadAdapters()
            let store = try await storage.openStore()
            let progress = ProgressLines(terminal: isatty(STDERR_FILENO) != 0)
            let summary: BackfillSummary
            do {
                summary = try await backfill(since, store) { progress.show($0) }
            } catch {
                progress.end()
                FileHandle.standardError.write(Data("error: \(error); what was stored stays, and the next run resumes from it\n".utf8))
                throw ExitCode.failure
            }
            progress.end()
            print("backfill \(vendor): read \(summary.totalFetched) records, stored \(summary.totalStored) new deliveries")
            guard !noProcess else { return }
            print("processed \(try await Process.drain(store, storage: storage, processing: processing)) deliveries")
        }
    }

    struct Stripe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store every paid invoice and credit note since a day from the Stripe API (GATEWAY_STRIPE_API_KEY), then process them.",
            discussion: """
                A stopped run resumes where it stopped; a second run stores nothing new. Records already delivered \
                by webhooks accrue nothing twice.
                """)

        @OptionGroup var options: Options

        func run() async throws {
            guard let credentials = Environment.stripeCredentials() else {
                throw ValidationError("set GATEWAY_STRIPE_API_KEY to a Stripe key that can read invoices and credit notes")
            }
            try await options.run("stripe") { since, store, progress throws(FetchFailure) in
                try await StripeBackfill(credentials: credentials, client: HTTPClient.shared, store: store).run(since: since) { stripe in
                    progress(
                        BackfillProgress(
                            vendor: "stripe", list: stripe.list.rawValue, fetched: stripe.fetched, stored: stripe.stored,
                            ratePerSecond: stripe.ratePerSecond, fractionDone: stripe.fractionDone))
                }
            }
        }
    }

    struct QuickBooks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "quickbooks",
            abstract:
                "Store every Payment, Invoice, CreditMemo and RefundReceipt updated since a day from the QuickBooks Online API (GATEWAY_QUICKBOOKS_*), then process them.",
            discussion: """
                Uses the connected app the notifications are fetched with; its rotated refresh token is saved as usual. A \
                stopped run resumes where it stopped; a second run stores nothing new; what webhooks already brought accrues \
                nothing twice.
                """)

        @OptionGroup var options: Options

        func run() async throws {
            guard let credentials = try Environment.quickBooksCredentials() else {
                throw ValidationError("set \(Environment.apiClientVariables["quickbooks"]!.joined(separator: ", "))")
            }
            try await options.run("quickbooks") { since, store, progress throws(FetchFailure) in
                let client = QuickBooksClient(credentials: credentials, client: HTTPClient.shared, store: store)
                return try await QuickBooksBackfill(client: client, store: store).run(since: since, progress: progress)
            }
        }
    }

    struct ConnectWise: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "connectwise",
            abstract: "Store every agreement and company updated since a day from the ConnectWise PSA API (GATEWAY_CONNECTWISE_API_*), then process them.",
            discussion: """
                Needs an API member's keys: GATEWAY_CONNECTWISE_API_BASE, _API_COMPANY_ID, _API_PUBLIC_KEY, _API_PRIVATE_KEY and _API_CLIENT_ID. A \
                stopped run resumes where it stopped; a second run stores nothing new; what callbacks already brought accrues \
                nothing twice.
                """)

        @OptionGroup var options: Options

        func run() async throws {
            guard let credentials = try Environment.connectWiseCredentials() else {
                throw ValidationError(
                    "set GATEWAY_CONNECTWISE_API_BASE, GATEWAY_CONNECTWISE_API_COMPANY_ID, GATEWAY_CONNECTWISE_API_PUBLIC_KEY, GATEWAY_CONNECTWISE_API_PRIVATE_KEY and GATEWAY_CONNECTWISE_API_CLIENT_ID"
                )
            }
            try await options.run("connectwise") { since, store, progress throws(FetchFailure) in
                try await ConnectWiseBackfill(client: ConnectWiseClient(credentials: credentials, client: HTTPClient.shared), store: store)
                    .run(since: since, progress: progress)
            }
        }
    }

    struct Autotask: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Store every contract and customer company since a day from the Autotask API (GATEWAY_AUTOTASK_API_*), then process them.",
            discussion: """
                Contracts are selected by GATEWAY_AUTOTASK_BACKFILL_CONTRACTS_FIELD (default startDate), companies of type \
                Customer by GATEWAY_AUTOTASK_BACKFILL_COMPANIES_FIELD (default createDate). A stopped run resumes where it \
                stopped; a second run stores nothing new; what the poller or webhooks already brought accrues nothing twice.
                """)

        @OptionGroup var options: Options

        func run() async throws {
            guard let credentials = try Environment.autotaskCredentials() else {
                throw ValidationError(
                    "set GATEWAY_AUTOTASK_API_BASE, GATEWAY_AUTOTASK_API_INTEGRATION_CODE, GATEWAY_AUTOTASK_API_USERNAME and GATEWAY_AUTOTASK_API_SECRET")
            }
            try await options.run("autotask") { since, store, progress throws(FetchFailure) in
                try await AutotaskBackfill(
                    credentials: credentials, client: HTTPClient.shared, store: store, fields: Environment.autotaskBackfillFields()
                ).run(since: since, progress: progress)
            }
        }
    }
}

/// Backfill progress on standard error: one line rewritten in place on a terminal, plain lines
/// otherwise (a log file or CI keeps every one).
final class ProgressLines: Sendable {
    private let terminal: Bool

    init(terminal: Bool) { self.terminal = terminal }

    func show(_ progress: BackfillProgress) {
        var line = "\(progress.vendor) \(progress.list): \(progress.fetched) read, \(progress.stored) new, "
        line += String(format: "%.1f/s", progress.ratePerSecond)
        if let fraction = progress.fractionDone {
            line += ", \(Int((fraction * 100).rounded(.down)))% of the period"
            if fraction > 0, fraction < 1, progress.ratePerSecond > 0 {
                let elapsed = Double(progress.fetched) / progress.ratePerSecond
                line += ", about \(Int((elapsed * (1 - fraction) / fraction).rounded(.up)))s left"
            }
        }
        let done = (progress.fractionDone ?? 0) >= 1
        write(terminal ? "\r\u{1B}[K\(line)" + (done ? "\n" : "") : "\(line)\n")
    }

    /// Leaves the terminal on a fresh line.
    func end() {
        if terminal { write("\u{1B}[K") }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
