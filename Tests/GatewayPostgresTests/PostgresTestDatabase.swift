import Foundation
import GatewayCore
@testable import GatewayPostgres
import Logging
import PostgresNIO
import Testing

/// A real PostgreSQL for the tests: the server named by `GATEWAY_TEST_POSTGRES_URL`, and in it a
/// fresh schema per test, migrated, dropped afterwards.
///
/// Without the URL the tests are skipped, visibly, on a developer's machine; on CI (`CI` set) they
/// run and fail, so a missing database never passes for a green suite.
enum PostgresTestDatabase {
    static let url = ProcessInfo.processInfo.environment["GATEWAY_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let onCI = ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } ?? false

    /// Run when a server is named, and always on CI (where a missing one fails the test).
    static let enabled = ConditionTrait.enabled(
        if: url != nil || onCI,
        "GATEWAY_TEST_POSTGRES_URL is not set: the PostgreSQL tests are skipped (docs/postgresql.md says how to run them)")

    /// Errors only: a pool asked for a connection in the instant before its `run()` task starts
    /// warns, then serves it; that ordering of the tests' tasks is not worth a line per test.
    static let logger: Logger = {
        var logger = Logger(label: "gateway-postgres-tests")
        logger.logLevel = .error
        return logger
    }()

    /// Runs `body` with `instances` pools (as many gateway instances) on one new, migrated schema.
    /// `migrated: false` leaves the schema empty.
    static func withFreshSchema<Result: Sendable>(
        instances: Int = 1, migrated: Bool = true, _ body: ([PostgresGatewayDatabase]) async throws -> Result
    ) async throws -> Result {
        guard let url else {
            throw GatewayError.invalid("CI is set but GATEWAY_TEST_POSTGRES_URL is not: the PostgreSQL tests must run on CI")
        }
        let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try PostgresGatewayDatabase(url: url, maximumConnections: 2, logger: logger)
        let databases = try (0..<max(1, instances)).map { _ in try PostgresGatewayDatabase(url: url, schema: schema, maximumConnections: 8, logger: logger) }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await admin.run() }
            for database in databases { group.addTask { await database.run() } }
            defer { group.cancelAll() }
            // The name is ours (letters, digits, underscore), never input: safe to write into the SQL.
            try await admin.execute("CREATE SCHEMA \(unescaped: schema)")
            do {
                if migrated { try await databases[0].migrate() }
                let result = try await body(databases)
                try await admin.execute("DROP SCHEMA \(unescaped: schema) CASCADE")
                return result
            } catch {
                try? await admin.execute("DROP SCHEMA \(unescaped: schema) CASCADE")
                throw error
            }
        }
    }

    /// Runs `body` with one pool on a new, migrated schema.
    static func withFreshSchema<Result: Sendable>(_ body: (PostgresGatewayDatabase) async throws -> Result) async throws -> Result {
        try await withFreshSchema(instances: 1) { try await body($0[0]) }
    }
}

/// The `CI` guarantee itself: on CI the PostgreSQL tests cannot be skipped for want of a server.
@Suite struct PostgresTestConfigurationTests {
    @Test func onCIThePostgreSQLURLIsSet() {
        #expect(
            !PostgresTestDatabase.onCI || PostgresTestDatabase.url != nil,
            "CI is set but GATEWAY_TEST_POSTGRES_URL is not: .ci/run must start PostgreSQL and export it")
    }
}
