import ArgumentParser
import Foundation
import GatewayEngine
import GatewayPostgres
import GatewayRepositories
import GatewayStore
import Logging

/// `referral-gateway store copy --from A --to B`: a whole store moved between SQLite and
/// PostgreSQL (either way), verified before it counts as done.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Move a whole store between SQLite and PostgreSQL.", subcommands: [Copy.self])

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy every table of one store into an empty one, then verify row counts and the rebuilt ledger.",
            discussion: """
                Each of --from and --to is a data directory (holding gateway.sqlite) or a postgres:// URL. Stop every gateway \
                instance on both first. The target is migrated, must be empty, and is marked until the copy is verified: a copy that \
                stops half-way is refused by the next one (and by every command) until the target is emptied.
                """)

        @Option(help: "The store to copy: a data directory holding gateway.sqlite, or postgres://user:password@host:port/database.")
        var from: StoreLocation
        @Option(help: "The empty store to fill: a data directory (created if needed), or a postgres:// URL.")
        var to: StoreLocation

        func run() async throws {
            let logger = CommandLog.logger
            let source = try await from.openSource(logger: logger)
            let target = try await to.openTarget(logger: logger)
            logger.notice("copying store", metadata: ["from": "\(source.location)", "to": "\(target.location)"])
            let summary = try await StoreCopy(from: source, to: target).run(at: Date()) { copied in
                logger.notice("table copied", metadata: ["table": "\(copied.table)", "rows": "\(copied.rows)", "done": "\(copied.done)/\(copied.of)"])
            }
            Output.print(summary)
        }
    }
}

/// Where `store copy` reads or writes: a data directory, or a PostgreSQL URL (`postgres://` or
/// `postgresql://`). Its description never holds the URL's password.
enum StoreLocation: ExpressibleByArgument, CustomStringConvertible {
    case sqlite(directory: URL)
    case postgres(url: String)

    init?(argument: String) {
        guard !argument.isEmpty else { return nil }
        if argument.hasPrefix("postgres://") || argument.hasPrefix("postgresql://") {
            self = .postgres(url: argument)
        } else {
            self = .sqlite(directory: URL(fileURLWithPath: argument))
        }
    }

    var description: String {
        switch self {
        case .sqlite(let directory): directory.path
        case .postgres: "a PostgreSQL URL"
        }
    }

    /// Opens the store to copy, migrated and with its derived data current, as every command
    /// opens one. A directory without a store, or a database this build has not migrated, is
    /// refused rather than created.
    func openSource(logger: Logger) async throws -> StoreCopy.Store {
        let store: StoreCopy.Store
        switch self {
        case .sqlite(let directory):
            let file = directory.appendingPathComponent(SQLiteStore.fileName).path
            guard FileManager.default.fileExists(atPath: file) else { throw ValidationError("no store to copy at \(file)") }
            store = try SQLiteStore(directory: directory, outboundEvents: OutboundEvents())
        case .postgres(let url):
            let database = try PostgresGatewayDatabase(url: url, logger: logger)
            try await database.checkReachable()
            Task.detached { await database.run() }
            guard try await database.isMigrated() else {
                throw ValidationError(
                    "\(database.location) is not a gateway store migrated by this build; if it is one, run `referral-gateway migrate --database URL` on it first")
            }
            store = PostgresStore(database: database, outboundEvents: OutboundEvents())
        }
        try await StoreCopy.refuseUnfinishedCopy(in: store)
        try await LedgerService.recomputeDerivedDataIfNeeded(in: store, at: Date(), logger: logger)
        return store
    }

    /// Opens the store to fill, creating and migrating it as needed; nothing else is written (the
    /// copy itself checks it is empty).
    func openTarget(logger: Logger) async throws -> StoreCopy.Store {
        switch self {
        case .sqlite(let directory):
            return try SQLiteStore(directory: directory, outboundEvents: OutboundEvents())
        case .postgres(let url):
            let database = try PostgresGatewayDatabase(url: url, logger: logger)
            try await database.checkReachable()
            Task.detached { await database.run() }
            try await database.migrate()
            return PostgresStore(database: database, outboundEvents: OutboundEvents())
        }
    }
}
