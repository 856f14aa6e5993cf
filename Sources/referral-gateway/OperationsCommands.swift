import ArgumentParser
import AsyncHTTPClient
import Foundation
import GatewayAdapters
import GatewayHTTP
import GatewayStore
import Logging

/// `referral-gateway deliveries list`.
struct DeliveriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliveries", abstract: "Inspect stored deliveries.", subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List deliveries, newest first.")

        @Option(help: "Only this status: \(DeliveryStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
        var status: String?
        @Option(help: "At most this many.") var limit: Int = 50
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let status = try status.map { text in
                guard let status = DeliveryStatus(rawValue: text) else { throw ValidationError("unknown status \(text)") }
                return status
            }
            for delivery in try await storage.openDatabase().deliveries(status: status, limit: limit) {
                let received = delivery.receivedAt.formatted(.iso8601)
                print(
                    "\(delivery.id)\t\(received)\t\(delivery.source)\t\(delivery.eventType ?? "-")\t\(delivery.vendorDeliveryID)\t"
                        + "\(delivery.status.rawValue)\t\(delivery.statusReason ?? "")")
            }
        }
    }
}

/// `referral-gateway process`: drains the queue without a server.
struct Process: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Process every stored delivery now and exit (the server does this on its own).")

    @OptionGroup var storage: StorageOptions

    func run() async throws {
        let database = try storage.openDatabase()
        let fetchers: [any EntityFetcher] =
            try Environment.quickBooksCredentials().map { [QuickBooksClient(credentials: $0, client: HTTPClient.shared, database: database)] } ?? []
        let processor = DeliveryProcessor(
            database: database, adapters: try storage.loadAdapters(), fetchers: fetchers, logger: Logger(label: "referral-gateway"))
        print("processed \(try await processor.drain()) deliveries")
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
