import Foundation
import GatewayCore
import GatewayEngine
@testable import GatewayPostgres
import GatewayRepositories
import GatewayStore
import GatewayTestSupport
import Testing

/// `referral-gateway store copy` as an admin runs it: a real process moving a SQLite data directory
/// into PostgreSQL and back, refusing a store that holds data or an unfinished copy, and never
/// printing the database password.
@Suite(PostgresTestDatabase.enabled) struct StoreCopyProcessTests {
    struct Run {
        var status: Int32
        var output: String
        var errors: String
    }

    static func run(_ arguments: [String]) throws -> Run {
        let process = ChildProcess()
        process.executableURL = PostgresServeProcessTests.binary
        process.arguments = arguments
        process.environment = [:]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // The summary and the log are small: each pipe is read to its end in turn.
        let printed = output.fileHandleForReading.readAllRetryingInterrupts()
        let logged = errors.fileHandleForReading.readAllRetryingInterrupts()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: printed, as: UTF8.self), errors: String(decoding: logged, as: UTF8.self))
    }

    struct Summary: Decodable {
        struct Table: Decodable {
            var name: String
            var rows: Int
        }

        var source: String
        var target: String
        var tables: [Table]
        var accrual_lines: Int
        var paid_lines: Int
    }

    @Test(.timeLimit(.minutes(5)))
    func storeCopyMovesADataDirectoryIntoPostgreSQLAndBackAndRefusesWhatItMustNotTouch() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: PostgresServeProcessTests.binary.path), "build the executable first: swift build")
        let url = try #require(PostgresTestDatabase.url)
        let password = try #require(URLComponents(string: url)?.password)
        let source = try TemporaryStore()
        try await StoreCopyTests.fill(source.store)
        let lines = try await source.store.ledger.allAccruals()

        try await PostgresTestDatabase.withFreshSchema(migrated: false) { databases in
            let schema = try #require(databases[0].location.split(separator: " ").last?.dropLast()).description
            let target = url + (url.contains("?") ? "&" : "?") + "schema=\(schema)"

            // Into PostgreSQL: the empty schema is migrated and filled, and the summary printed.
            let there = try Self.run(["store", "copy", "--from", source.directory.url.path, "--to", target])
            #expect(there.status == 0, "\(there.errors)")
            let summary = try JSONDecoder().decode(Summary.self, from: Data(there.output.utf8))
            #expect(summary.accrual_lines == lines.count)
            #expect(summary.paid_lines == lines.filter { $0.state == .paid }.count)
            #expect(summary.tables.first { $0.name == "delivery" }?.rows == (try await source.store.inbox.deliveries(matching: DeliveryQuery(limit: 1000)).count))
            #expect(summary.target.hasPrefix("postgres://") && summary.target.contains(schema))
            #expect(there.errors.contains("table copied"))
            let postgres = PostgresStore(database: databases[0], outboundEvents: OutboundEvents())
            #expect(try await postgres.ledger.allAccruals() == lines)
            #expect(try await postgres.copyMarker() == nil)

            // Again into the same, now full, schema: refused, saying why and how to start over.
            let again = try Self.run(["store", "copy", "--from", source.directory.url.path, "--to", target])
            #expect(again.status != 0)
            #expect(again.errors.contains("is not empty (rows in "))
            #expect(again.errors.contains("DROP SCHEMA"))
            #expect(try await postgres.ledger.allAccruals() == lines, "the refused target is untouched")

            // Back into a new data directory.
            let home = try TemporaryDirectory(prefix: "gateway-copy-home")
            let back = try Self.run(["store", "copy", "--from", target, "--to", home.url.path])
            #expect(back.status == 0, "\(back.errors)")
            #expect(try await SQLiteStore(directory: home.url, outboundEvents: OutboundEvents()).ledger.allAccruals() == lines)

            // A data directory an interrupted copy left marked: every command refuses it, and so
            // does the next copy, until it is emptied.
            let halfway = try TemporaryDirectory(prefix: "gateway-copy-halfway")
            try await SQLiteStore(directory: halfway.url, outboundEvents: OutboundEvents())
                .placeCopyMarker(StoreCopyMarker(source: postgres.location, startedAt: Events.date("2026-02-01")))
            let listed = try Self.run(["partners", "list", "--data-dir", halfway.url.path])
            #expect(listed.status != 0)
            #expect(listed.errors.contains("holds an unfinished store copy (from \(postgres.location), started 2026-02-01T00:00:00Z)"))
            let retried = try Self.run(["store", "copy", "--from", target, "--to", halfway.url.path])
            #expect(retried.status != 0)
            #expect(retried.errors.contains("holds an unfinished store copy"))
            #expect(retried.errors.contains("(with its -wal and -shm files) aside or delete it"))

            // A directory without a store is not a source.
            let nothing = try TemporaryDirectory(prefix: "gateway-copy-nothing")
            let missing = try Self.run(["store", "copy", "--from", nothing.url.path, "--to", halfway.url.path])
            #expect(missing.status != 0)
            #expect(missing.errors.contains("no store to copy at"))
            #expect(!FileManager.default.fileExists(atPath: nothing.url.appendingPathComponent(SQLiteStore.fileName).path), "nothing is created there")

            for run in [there, again, back, listed, retried, missing] {
                #expect(!(run.output + run.errors).contains(":\(password)@"), "the password never appears")
            }
        }
    }
}
