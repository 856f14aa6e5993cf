import Foundation
import GRDB
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayStore
import GatewayTestSupport
import Testing

/// Online backups of a live store, and restoring them.
@Suite struct BackupTests {
    static func delivery(_ id: String) -> IncomingDelivery {
        InboxRepositoryTests().delivery(id)
    }

    static func count(_ path: String) throws -> Int {
        try DatabaseQueue(path: path).read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM delivery") ?? -1 }
    }

    @Test func aBackupTakenWhileDeliveriesArriveIsOneConsistentSnapshot() async throws {
        let temporary = try TemporaryStore()
        for index in 0..<200 { _ = try await temporary.store.inbox.ingest(Self.delivery("evt_before_\(index)")) }
        let file = temporary.directory.url.appendingPathComponent("backup.sqlite").path

        // Deliveries keep arriving while the backup runs.
        let writer = Task {
            for index in 0..<2_000 { _ = try await temporary.store.inbox.ingest(Self.delivery("evt_during_\(index)")) }
        }
        try await Task.sleep(for: .milliseconds(20))
        let summary = try await temporary.sqlite.backup(to: file)
        try await writer.value

        #expect(summary.deliveries >= 200 && summary.deliveries <= 2_200)
        #expect(try Self.count(file) == summary.deliveries)
        // The copy's schema is the live store's: its last migration.
        let live = try await DatabaseQueue(path: temporary.sqlite.path).read { db in
            try String.fetchOne(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid DESC LIMIT 1")
        }
        #expect(summary.schema == live)
        #expect(!FileManager.default.fileExists(atPath: file + "-wal"))
        // The copy opens as a store of its own, with what it held.
        let copy = try SQLiteStore(path: file, outboundEvents: OutboundEvents())
        #expect(try await copy.inbox.countAwaitingProcessing() == summary.deliveries)

        // A backup never overwrites a file.
        await #expect(throws: GatewayError.self) { try await temporary.sqlite.backup(to: file) }
        #expect(try Self.count(file) == summary.deliveries)
    }

    @Test func aRestoreRefusesAStoreInPlaceUnlessToldAndThenSetsItAside() async throws {
        let source = try TemporaryStore()
        for index in 0..<5 { _ = try await source.store.inbox.ingest(Self.delivery("evt_\(index)")) }
        let backup = source.directory.url.appendingPathComponent("backup.sqlite").path
        _ = try await source.sqlite.backup(to: backup)

        let target = try TemporaryDirectory()
        let restored = try SQLiteStore.restore(from: backup, into: target.url, replacing: false, at: Date())
        #expect(restored.deliveries == 5 && restored.setAside == nil)
        #expect(try await SQLiteStore(directory: target.url, outboundEvents: OutboundEvents()).inbox.countAwaitingProcessing() == 5)

        // A store in place is refused, and kept whole when replaced.
        let existing = try TemporaryStore()
        _ = try await existing.store.inbox.ingest(Self.delivery("evt_kept"))
        #expect(throws: GatewayError.self) { try SQLiteStore.restore(from: backup, into: existing.directory.url, replacing: false, at: Date()) }
        let replaced = try SQLiteStore.restore(from: backup, into: existing.directory.url, replacing: true, at: Date(timeIntervalSince1970: 1_800_000_000))
        let aside = try #require(replaced.setAside)
        #expect(aside.hasSuffix("gateway.sqlite.before-restore-1800000000"))
        #expect(try Self.count(aside) == 1)
        #expect(try Self.count(replaced.path) == 5)
    }

    @Test func aFileThatIsNotASoundStoreOrIsNewerIsRefusedWithTheReason() async throws {
        let directory = try TemporaryDirectory()
        let junk = directory.url.appendingPathComponent("junk.sqlite")
        try Data("not a database at all, just some text long enough to be read".utf8).write(to: junk)
        do {
            _ = try SQLiteStore.restore(from: junk.path, into: directory.url.appendingPathComponent("data"), replacing: false, at: Date())
            Issue.record("a file that is not SQLite was restored")
        } catch let error as GatewayError {
            #expect(error.message.contains("is not an SQLite database"))
        }
        #expect(!FileManager.default.fileExists(atPath: directory.url.appendingPathComponent("data/gateway.sqlite").path))

        // A store a newer build migrated: neither restored nor opened.
        let newer = try TemporaryStore()
        let file = newer.directory.url.appendingPathComponent("newer.sqlite").path
        _ = try await newer.sqlite.backup(to: file)
        for path in [file, newer.sqlite.path] {
            try await DatabaseQueue(path: path).write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')")
            }
        }
        let expected = GatewayError.invalid(
            "\(file) has a newer schema than this build knows (v99: from the future); run the newer referral-gateway, or restore a backup this build made")
        #expect(throws: expected) { try SQLiteStore.restore(from: file, into: directory.url.appendingPathComponent("other"), replacing: false, at: Date()) }
        #expect(throws: GatewayError.self) { try SQLiteStore(directory: newer.directory.url, outboundEvents: OutboundEvents()) }
    }
}
