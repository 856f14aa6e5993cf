public import Foundation
import GRDB
import GatewayCore

/// Online backups of the embedded store, and restoring one into a data directory.
///
/// A backup goes through SQLite's backup API (GRDB's `backup(to:)`) from a read transaction: it
/// is one consistent snapshot of the file while the gateway keeps receiving, written as a single
/// self-contained file (no `-wal` beside it).
extension SQLiteStore {
    /// What a backup or a restore wrote.
    public struct BackupSummary: Sendable, Hashable, Encodable {
        public var path: String
        public var bytes: Int64
        public var deliveries: Int
        /// The last migration the copy holds: the schema version.
        public var schema: String
        /// Where the store that a restore replaced was moved, kept whole.
        public var setAside: String?

        enum CodingKeys: String, CodingKey {
            case path, bytes, deliveries, schema
            case setAside = "set_aside"
        }
    }

    /// Copies the live store to a new file at `path`, then checks the copy.
    ///
    /// - Throws: `GatewayError.conflict` when `path` exists (a backup never overwrites one).
    public func backup(to path: String) async throws -> BackupSummary {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw GatewayError.conflict("\(path) exists; a backup never overwrites a file, choose a new name")
        }
        let target = try DatabaseQueue(path: path)
        do {
            try writer.backup(to: target)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        try target.close()
        return try Self.check(path)
    }

    /// Restores the backup at `file` as `directory`'s store. A store already there is refused
    /// unless `replacing`, and then moved aside (with its `-wal` and `-shm`), never deleted. Stop
    /// the gateway first: a restore under a running server is not one.
    ///
    /// - Throws: `GatewayError.invalid` for a file that is not a sound gateway store or holds a
    ///   newer schema than this build knows; `.conflict` for an existing store without `replacing`.
    public static func restore(from file: String, into directory: URL, replacing: Bool, at now: Date) throws -> BackupSummary {
        _ = try check(file)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let live = directory.appendingPathComponent(fileName).path
        var setAside: String?
        if FileManager.default.fileExists(atPath: live) {
            guard replacing else {
                throw GatewayError.conflict("\(live) holds a store; pass --replace to set it aside and restore over it")
            }
            let stamp = Int(now.timeIntervalSince1970)
            let aside = "\(live).before-restore-\(stamp)"
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: live + suffix) {
                try FileManager.default.moveItem(atPath: live + suffix, toPath: aside + suffix)
            }
            setAside = aside
        }
        let source = try DatabaseQueue(path: file, configuration: readOnly)
        let target = try DatabaseQueue(path: live)
        try source.backup(to: target)
        try target.close()
        try source.close()
        var summary = try check(live)
        summary.setAside = setAside
        return summary
    }

    private static var readOnly: Configuration {
        var configuration = Configuration()
        configuration.readonly = true
        return configuration
    }

    /// Opens `path` read-only and checks that it is a sound store this build can open.
    static func check(_ path: String) throws -> BackupSummary {
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: readOnly)
        } catch {
            throw GatewayError.invalid("\(path) is not an SQLite database: \(error)")
        }
        defer { try? queue.close() }
        return try queue.read { db in
            let integrity: String?
            do {
                integrity = try String.fetchOne(db, sql: "PRAGMA integrity_check")
            } catch {
                throw GatewayError.invalid("\(path) is not an SQLite database (\(error))")
            }
            guard integrity == "ok" else { throw GatewayError.invalid("\(path) fails SQLite's integrity check: \(integrity ?? "no answer")") }
            guard try db.tableExists("delivery"), try db.tableExists("grdb_migrations") else {
                throw GatewayError.invalid("\(path) is an SQLite database but not a gateway store")
            }
            try refuseNewerSchema(db, at: path)
            let applied = try migrator.appliedIdentifiers(db)
            let schema = migrator.migrations.last { applied.contains($0) } ?? "none"
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
            return BackupSummary(path: path, bytes: size, deliveries: try Int.fetchOne(db, sql: "SELECT count(*) FROM delivery") ?? 0, schema: schema)
        }
    }

    /// Refuses a store migrated by a newer build: this one would misread what it does not know.
    static func refuseNewerSchema(_ db: Database, at path: String) throws {
        guard try db.tableExists("grdb_migrations") else { return }
        let unknown = try migrator.appliedIdentifiers(db).subtracting(migrator.migrations)
        guard unknown.isEmpty else {
            throw GatewayError.invalid(
                "\(path) has a newer schema than this build knows (\(unknown.sorted().joined(separator: ", "))); run the newer referral-gateway, or restore a backup this build made")
        }
    }
}
