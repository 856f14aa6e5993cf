import ArgumentParser
import AsyncHTTPClient
import Foundation
import GatewayCore
import GatewayEngine

#if canImport(Glibc)
    import Glibc
#endif

/// `referral-gateway backfill stripe --since 2024-12-01`.
struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill", abstract: "Bring a vendor's history into the inbox from its API.", subcommands: [Stripe.self])

    struct Stripe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store every paid invoice and credit note since a day from the Stripe API (GATEWAY_STRIPE_API_KEY), then process them.",
            discussion: """
                A stopped run resumes where it stopped; a second run stores nothing new. Records already delivered \
                by webhooks accrue nothing twice.
                """)

        @Option(help: "The first day to read (2024-12-01), or an ISO 8601 timestamp.") var since: String
        @Flag(help: "Only store; leave processing to the server or `process`.") var noProcess = false
        @OptionGroup var processing: ProcessingOptions
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let since = try DateInput.parse(since, field: "since")
            guard let credentials = Environment.stripeCredentials() else {
                throw ValidationError("set GATEWAY_STRIPE_API_KEY to a Stripe key that can read invoices and credit notes")
            }
            // Read before the first request, so a wrong adapters directory fails before any work.
            _ = try storage.loadAdapters()
            let store = try await storage.openStore()
            let progress = ProgressLines(terminal: isatty(STDERR_FILENO) != 0)
            let summary: StripeBackfill.Summary
            do {
                summary = try await StripeBackfill(credentials: credentials, client: HTTPClient.shared, store: store).run(since: since) {
                    progress.show($0)
                }
            } catch {
                progress.end()
                FileHandle.standardError.write(Data("error: \(error); what was stored stays, and the next run resumes from it\n".utf8))
                throw ExitCode.failure
            }
            progress.end()
            let fetched = summary.fetched.values.reduce(0, +)
            print("backfill stripe: read \(fetched) records, stored \(summary.totalStored) new deliveries")
            guard !noProcess else { return }
            print("processed \(try await Process.drain(store, storage: storage, processing: processing)) deliveries")
        }
    }
}

/// Backfill progress on standard error: one line rewritten in place on a terminal, plain lines
/// otherwise (a log file or CI keeps every one).
final class ProgressLines: Sendable {
    private let terminal: Bool

    init(terminal: Bool) { self.terminal = terminal }

    func show(_ progress: StripeBackfill.Progress) {
        let percent = Int((progress.fractionDone * 100).rounded(.down))
        var line = "stripe \(progress.list.rawValue): \(progress.fetched) read, \(progress.stored) new, "
        line += String(format: "%.1f/s, %d%% of the period", progress.ratePerSecond, percent)
        if progress.fractionDone > 0, progress.fractionDone < 1, progress.ratePerSecond > 0 {
            let elapsed = Double(progress.fetched) / progress.ratePerSecond
            line += ", about \(Int((elapsed * (1 - progress.fractionDone) / progress.fractionDone).rounded(.up)))s left"
        }
        write(terminal ? "\r\u{1B}[K\(line)" + (progress.fractionDone >= 1 ? "\n" : "") : "\(line)\n")
    }

    /// Leaves the terminal on a fresh line.
    func end() {
        if terminal { write("\u{1B}[K") }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
