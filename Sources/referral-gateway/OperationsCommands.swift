import ArgumentParser
import AsyncHTTPClient
import Foundation
import GatewayAdapters
import GatewayCore
import GatewayEngine
import GatewayRepositories
import Logging

/// `referral-gateway deliveries list`.
struct DeliveriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliveries", abstract: "Inspect stored deliveries.", subcommands: [List.self, Show.self, Rejections.self, Prune.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List deliveries, newest first.")

        @OptionGroup var filter: DeliveryFilterOptions
        @Option(help: "At most this many.") var limit: Int = 50
        @Option(help: "Only deliveries with a smaller id (the last id of the previous page).") var before: Int64?
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            var query = try filter.query()
            query.limit = limit
            query.beforeID = before
            for delivery in try await storage.openStore().inbox.deliveries(matching: query) {
                let received = delivery.receivedAt.formatted(.iso8601)
                print(
                    "\(delivery.id)\t\(received)\t\(delivery.source)\t\(delivery.eventType ?? "-")\t\(delivery.vendorDeliveryID)\t"
                        + "\(delivery.status.rawValue)\t\(delivery.statusReason ?? "")")
            }
        }
    }
}

/// Which deliveries, as flags shared by `deliveries list` and `replay`.
struct DeliveryFilterOptions: ParsableArguments {
    @Option(help: "Only this source.") var source: String?
    @Option(help: "Only these statuses (repeatable): \((DeliveryStatus.allCases.map(\.rawValue) + ["duplicate"]).joined(separator: ", ")).")
    var status: [String] = []
    @Option(help: "Only this vendor event type.") var eventType: String?
    @Option(help: "Only this vendor delivery id.") var vendorID: String?
    @Option(help: "Only deliveries naming this customer, as source:id.") var customer: String?
    @Option(help: "Received at or after (a day or an ISO 8601 time).") var from: String?
    @Option(help: "Received up to (a day, included, or an ISO 8601 time, excluded).") var to: String?

    func query() throws -> DeliveryQuery {
        try DeliveryFilter(source: source, statuses: status, eventType: eventType, vendorID: vendorID, customer: customer, from: from, to: to).query()
    }
}

extension DeliveriesCommand {
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One delivery: metadata, verification, events and their explanations, accruals.")
        @Argument(help: "The delivery's id.") var delivery: Int64
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let store = try await storage.openStore()
            guard let found = try await store.inbox.delivery(DeliveryID(delivery)) else { throw GatewayError.notFound("delivery \(delivery) does not exist") }
            print("delivery \(found.id) from \(found.source): \(found.eventType ?? "-") \(found.vendorDeliveryID)")
            print("received \(found.receivedAt.formatted(.iso8601)), status \(found.status.rawValue): \(found.statusReason ?? "")")
            print("verified by \(found.verification.scheme), secret #\(found.verification.matchedSecretIndex + 1); attempts \(found.attempts)")
            print(found.bodyPrunedAt == nil ? "body: \(found.body.count) bytes" : "body pruned on \(found.bodyPrunedAt!.formatted(.iso8601))")
            for recorded in try await store.inbox.businessEvents(of: found.id) {
                print("event \(recorded.event.kind.rawValue) \(recorded.event.businessKey) (adapter v\(recorded.adapterVersion)): \(recorded.explanation)")
            }
            Output.print(try await store.ledger.accruals(fromDelivery: found.id).map { AccrualView($0, at: Date()) })
        }
    }

    struct Rejections: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Requests refused at ingest, newest first (metadata only), or how many by source and code.")
        @Option(help: "Only this source.") var source: String?
        @Option(help: "At most this many.") var limit: Int = 50
        @Flag(help: "Print how many were refused by source and code (every refusal counted, kept or not).") var counts = false
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let store = try await storage.openStore()
            if counts {
                for count in try await store.inbox.rejectionCounts() where source == nil || count.source == source {
                    print("\(count.source)\t\(count.code)\t\(count.count)")
                }
                return
            }
            for rejection in try await store.inbox.rejections(source: source, code: nil, since: nil, limit: limit) {
                print("\(rejection.at.formatted(.iso8601))\t\(rejection.source)\t\(rejection.status)\t\(rejection.code)\t\(rejection.remoteAddress ?? "-")\t\(rejection.reason)")
            }
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove raw bodies of processed and ignored deliveries older than N days (never failed or dead ones).")
        @Option(help: "Keep bodies younger than this many days.") var olderThanDays: Int
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let now = Date()
            let pruned = try await RetentionService.prune(try await storage.openStore(), keepingSeconds: Double(max(1, olderThanDays)) * 86_400, at: now)
            print("pruned \(pruned) bodies")
        }
    }
}

/// `referral-gateway replay`: through the current adapters and program, signatures not re-checked.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay", abstract: "Replay deliveries through the current adapters and program; --dry-run reports what would change.")

    @Option(help: "A delivery id (repeatable); without ids, every delivery matching the filter.") var id: [Int64] = []
    @OptionGroup var filter: DeliveryFilterOptions
    @Flag(help: "Report what would change without writing.") var dryRun = false
    @OptionGroup var processing: ProcessingOptions
    @OptionGroup var storage: StorageOptions

    func run() async throws {
        let store = try await storage.openStore()
        let processor = DeliveryProcessor(
            store: store, adapters: try storage.loadAdapters(), fetchers: try Environment.fetchers(store: store), logger: CommandLog.logger)
        let ids = id.isEmpty ? try await store.inbox.deliveryIDs(matching: try filter.query()) : id.map(DeliveryID.init)
        let job = try await ReplayJobs(store: store, processor: processor, logger: CommandLog.logger).run(ids, dryRun: dryRun, at: Date())
        Output.print(job)
    }
}

/// `referral-gateway process`: drains the queue without a server.
struct Process: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Process every stored delivery now and exit (the server does this on its own).")

    @OptionGroup var processing: ProcessingOptions
    @OptionGroup var storage: StorageOptions

    func run() async throws {
        print("processed \(try await Self.drain(try await storage.openStore(), storage: storage, processing: processing)) deliveries")
    }

    /// Processes every stored delivery of `store` (what `backfill` does after storing).
    ///
    /// - Returns: how many deliveries were processed.
    static func drain(_ store: any Repositories, storage: StorageOptions, processing: ProcessingOptions) async throws -> Int {
        let processor = DeliveryProcessor(
            store: store, adapters: try storage.loadAdapters(), fetchers: try Environment.fetchers(store: store),
            batchSize: try processing.batchSize(), lease: try processing.lease(), logger: CommandLog.logger)
        return try await processor.drain()
    }
}

/// `referral-gateway adapters check`.
struct AdaptersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adapters", abstract: "Work with adapter definitions.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load every definition, run every fixture through its adapter, print the business events.")

        @Option(help: "Directory of adapter definitions.") var adaptersDir: String = "adapters"
        @Option(help: "Directory of fixtures, one folder per source.") var fixturesDir: String = "fixtures"

        func run() async throws {
            let catalog: AdapterCatalog
            do {
                catalog = try AdapterCatalog.load(directory: URL(fileURLWithPath: adaptersDir))
            } catch {
                print("error: \(error)")
                throw ExitCode.failure
            }
            var failures = 0
            for source in catalog.sources {
                let adapter = catalog[source]!
                print("\(source) (version \(adapter.version), scheme \(adapter.scheme.name))")
                let directory = URL(fileURLWithPath: fixturesDir).appendingPathComponent(source)
                let fixtures = (try? FixtureCheck.fixtures(in: directory)) ?? []
                for fixture in fixtures {
                    let result = try FixtureCheck.run(fixture, with: adapter)
                    let verdict = result.expected == nil ? "NO EXPECTATION" : result.passed ? "ok" : "MISMATCH"
                    if !result.passed { failures += 1 }
                    print("  \(verdict)  \(fixture.lastPathComponent)")
                    let actual = String(decoding: try FixtureCheck.encoder.encode(result.actual), as: UTF8.self)
                    print(actual.split(separator: "\n").map { "      \($0)" }.joined(separator: "\n"))
                    if let message = result.message { print("      \(message)") }
                }
            }
            print("\(catalog.sources.count) adapters, \(failures) fixture problems")
            if failures > 0 { throw ExitCode.failure }
        }
    }
}
