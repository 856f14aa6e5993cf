import ArgumentParser
import Foundation
import GatewayEngine
import GatewayPostgres
import GatewayStore
import Logging

/// `referral-gateway migrate`: applies the schema's migrations to the store, SQLite or PostgreSQL,
/// without starting anything else (every command migrates on open too; this does only that).
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the schema's migrations to the store (the SQLite file, or the database --database names).",
        discussion: "A store migrated by a newer referral-gateway is refused, saying so. Instances starting together migrate once.")

    @OptionGroup var storage: StorageOptions

    func run() async throws {
        if let url = storage.database {
            let database = try PostgresGatewayDatabase(url: url, logger: CommandLog.logger)
            try await database.checkReachable()
            Task.detached { await database.run() }
            let applied = try await database.migrate()
            Output.print(MigrateResult(store: database.location, applied: applied))
        } else {
            let store = try SQLiteStore(directory: URL(fileURLWithPath: storage.dataDir), outboundEvents: OutboundEvents())
            Output.print(MigrateResult(store: store.location, applied: []))
        }
    }
}

/// What `migrate` did.
struct MigrateResult: Encodable {
    var store: String
    /// The migrations applied now (empty when the store was up to date; the SQLite store does not
    /// say which it applied).
    var applied: [String]
}
