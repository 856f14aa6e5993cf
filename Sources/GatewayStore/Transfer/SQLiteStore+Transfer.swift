import Foundation
import GRDB
import GatewayCore
public import GatewayRepositories

/// The SQLite store's side of `store copy`: its tables row by row, found in its own catalogue (so a
/// table a later migration adds is copied without a change here), and the copy marker.
extension SQLiteStore: StoreTransfer {
    /// Tables that are not the gateway's data: the migrations GRDB records, and the marker itself.
    static let tablesNotCopied: Set<String> = ["grdb_migrations", "store_copy"]
    /// Tables the schema's triggers keep from another table's rows (migration v9), by that table.
    static let tablesKeptByTriggers = ["accrual_total": "accrual"]

    public var emptyingAdvice: String {
        "stop every process using it, then move \(path) (with its -wal and -shm files) aside or delete it"
    }

    public func transferTables() async throws -> [TransferTable] {
        try await writer.read { db in
            let names = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
                .filter { !Self.tablesNotCopied.contains($0) }
            return try names.map { name in
                let references = try db.foreignKeys(on: name).map(\.destinationTable).filter { $0 != name }
                return TransferTable(
                    name: name, columns: try db.columns(in: name).map(\.name),
                    dependsOn: Array(Set(references + [Self.tablesKeptByTriggers[name]].compactMap { $0 })).sorted())
            }
        }
    }

    public func rowCount(of table: String) async throws -> Int {
        try await writer.read { db in
            try Self.requireTable(table, db)
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.quotedDatabaseIdentifier)") ?? 0
        }
    }

    public func exportRows(of table: String, after cursor: TransferCursor?, limit: Int) async throws -> TransferPage {
        try await writer.read { db in
            try Self.requireTable(table, db)
            let columns = try db.columns(in: table)
            // The primary key, or the hidden rowid of a table without one: pages follow it.
            let key = try db.primaryKey(table).columns
            let selected = columns.map(\.name) + key
            var sql = "SELECT \(selected.map(\.quotedDatabaseIdentifier).joined(separator: ", ")) FROM \(table.quotedDatabaseIdentifier)"
            var arguments: [DatabaseValue] = []
            if let cursor {
                guard cursor.key.count == key.count else { throw GatewayError.invalid("a page cursor of \(table) does not fit its key") }
                sql += " WHERE (\(key.map(\.quotedDatabaseIdentifier).joined(separator: ", "))) > (\(key.map { _ in "?" }.joined(separator: ", ")))"
                arguments = cursor.key.map(\.sqliteValue)
            }
            sql += " ORDER BY \(key.map(\.quotedDatabaseIdentifier).joined(separator: ", ")) LIMIT \(max(1, limit))"
            let rows = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
            let isDate = columns.map { $0.type.uppercased() == "DATETIME" }
            let values = try rows.map { row in
                try columns.indices.map { index in
                    guard let value = TransferValue(sqlite: row[index] as DatabaseValue, isDate: isDate[index]) else {
                        // The row's key says which row; its values stay out of the message.
                        let at = key.indices.map { "\(key[$0]) \(row[columns.count + $0] as DatabaseValue)" }.joined(separator: ", ")
                        throw GatewayError.invalid("\(path): \(table).\(columns[index].name) of the row with \(at) is not a date")
                    }
                    return value
                }
            }
            let next = rows.count == max(1, limit) ? rows.last.map { row in TransferCursor(key: key.indices.map { TransferValue(sqlite: row[columns.count + $0]) }) } : nil
            return TransferPage(columns: columns.map(\.name), rows: values, next: next)
        }
    }

    public func identityHighWater(of table: String) async throws -> Int64? {
        try await writer.read { db in
            guard try db.tableExists("sqlite_sequence") else { return nil }
            return try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = ?", arguments: [table])
        }
    }

    public func beginImport(into table: String) async throws {
        guard Self.tablesKeptByTriggers[table] != nil else { return }
        try await writer.write { db in try db.execute(sql: "DELETE FROM \(table.quotedDatabaseIdentifier)") }
    }

    public func importRows(_ rows: [[TransferValue]], columns: [String], into table: String) async throws {
        guard !rows.isEmpty else { return }
        try await writer.write { db in
            try Self.requireTable(table, db)
            let declared = Dictionary(uniqueKeysWithValues: try db.columns(in: table).map { ($0.name, $0.type.uppercased() == "DATETIME") })
            for column in columns where declared[column] == nil {
                throw GatewayError.invalid("\(path) has no column \(table).\(column)")
            }
            let statement = try db.makeStatement(
                sql: """
                    INSERT INTO \(table.quotedDatabaseIdentifier) (\(columns.map(\.quotedDatabaseIdentifier).joined(separator: ", ")))
                    VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))
                    """)
            for row in rows {
                guard row.count == columns.count else { throw GatewayError.invalid("a row of \(table) has \(row.count) values for \(columns.count) columns") }
                for (column, value) in zip(columns, row) where value != .null {
                    // A date column takes dates only, and only a date column takes them: anything
                    // else means the two schemas disagree, and the row would be misread later.
                    let isTimestamp = if case .timestamp = value { true } else { false }
                    guard isTimestamp == declared[column] else {
                        throw GatewayError.invalid("\(table).\(column) in \(path) cannot hold a \(value.kind) value")
                    }
                }
                try statement.execute(arguments: StatementArguments(row.map(\.sqliteValue)))
            }
        }
    }

    public func finishImport(into table: String, identityHighWater highWater: Int64?) async throws {
        try await writer.write { db in
            // Only AUTOINCREMENT tables keep a high-water mark; SQLite raised it to the highest
            // copied id already, and the source's may be higher (rows deleted since).
            guard let highWater, try db.tableExists("sqlite_sequence"),
                let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", arguments: [table]),
                sql.uppercased().contains("AUTOINCREMENT")
            else { return }
            try db.execute(sql: "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", arguments: [highWater, table])
            if db.changesCount == 0 {
                try db.execute(sql: "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", arguments: [table, highWater])
            }
        }
    }

    public func copyMarker() async throws -> StoreCopyMarker? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT source, started_at FROM store_copy WHERE id = 1").map {
                StoreCopyMarker(source: $0["source"], startedAt: $0["started_at"])
            }
        }
    }

    public func placeCopyMarker(_ marker: StoreCopyMarker) async throws {
        try await writer.write { db in
            guard try Int.fetchOne(db, sql: "SELECT count(*) FROM store_copy") == 0 else {
                throw GatewayError.conflict("\(path) is already being filled by another store copy")
            }
            try db.execute(sql: "INSERT INTO store_copy (id, source, started_at) VALUES (1, ?, ?)", arguments: [marker.source, marker.startedAt])
        }
    }

    public func removeCopyMarker() async throws {
        try await writer.write { db in try db.execute(sql: "DELETE FROM store_copy") }
    }

    /// Table names come from the other store's catalogue: one this store lacks is refused by name.
    private static func requireTable(_ table: String, _ db: Database) throws {
        guard !tablesNotCopied.contains(table), !table.hasPrefix("sqlite_"), try db.tableExists(table) else {
            throw GatewayError.invalid("the SQLite store has no table \(table) to copy")
        }
    }
}
