import Foundation
import GatewayCore
import Logging
import PostgresNIO

extension PostgresGatewayDatabase {
    /// Applies the migrations this build knows and the database lacks, in one transaction under an
    /// advisory lock (instances starting together migrate once; the others wait, then find nothing
    /// to do). Refuses a database migrated by a newer build.
    ///
    /// - Returns: the identifiers of the migrations applied now, in order.
    @discardableResult
    public func migrate() async throws -> [String] {
        try await transaction { connection in
            try await connection.take(.migration, logger: logger)
            try await connection.execute(
                """
                CREATE TABLE IF NOT EXISTS gateway_migrations (
                    identifier TEXT PRIMARY KEY,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """, logger: logger)
            let applied = try await Self.appliedMigrations(connection, logger: logger)
            try refuseNewerSchema(applied)
            var done: [String] = []
            for migration in PostgresSchema.migrations where !applied.contains(migration.identifier) {
                for statement in migration.statements {
                    try await connection.execute(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.execute("INSERT INTO gateway_migrations (identifier) VALUES (\(migration.identifier))", logger: logger)
                done.append(migration.identifier)
            }
            return done
        }
    }

    /// Whether every migration this build knows is applied, and none it does not know (what `serve`
    /// asks before it starts, and `readyz` after).
    ///
    /// - Throws: `GatewayError.invalid` when a newer build migrated the database;
    ///   `PostgresUnavailable` when PostgreSQL cannot be reached.
    public func isMigrated() async throws -> Bool {
        let applied = try await withConnection { connection in
            let exists = try await connection.execute("SELECT to_regclass('gateway_migrations') IS NOT NULL", logger: logger)
            guard try exists.first?.decode(Bool.self) == true else { return Set<String>() }
            return try await Self.appliedMigrations(connection, logger: logger)
        }
        try refuseNewerSchema(applied)
        return PostgresSchema.migrations.allSatisfy { applied.contains($0.identifier) }
    }

    /// Refuses a database migrated by a newer build: this one would misread what it does not know.
    func refuseNewerSchema(_ applied: Set<String>) throws {
        let unknown = applied.subtracting(PostgresSchema.migrations.map(\.identifier))
        guard unknown.isEmpty else {
            throw GatewayError.invalid(
                "\(location) has a newer schema than this build knows (\(unknown.sorted().joined(separator: ", "))); run the newer referral-gateway, or restore a backup this build made")
        }
    }

    private static func appliedMigrations(_ connection: PostgresConnection, logger: Logger) async throws -> Set<String> {
        Set(try await connection.execute("SELECT identifier FROM gateway_migrations", logger: logger).map { try $0.decode(String.self) })
    }
}
