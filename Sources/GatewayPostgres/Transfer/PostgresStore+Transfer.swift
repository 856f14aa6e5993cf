import Foundation
import GatewayCore
public import GatewayRepositories
import PostgresNIO

/// The PostgreSQL store's side of `store copy`: its tables row by row, found in the catalogue of
/// its schema (so a table a later migration adds is copied without a change here), and the copy
/// marker.
///
/// Table and column names come from the catalogues, never from input, and are quoted wherever
/// they are written into SQL; every value is a bind parameter.
extension PostgresStore: StoreTransfer {
    /// Tables that are not the gateway's data: the migrations recorded, and the marker itself.
    static let tablesNotCopied: Set<String> = ["gateway_migrations", "store_copy"]
    /// Tables the schema's triggers keep from another table's rows, by that table.
    static let tablesKeptByTriggers = ["accrual_total": "accrual"]
    /// The most bind parameters one statement carries (PostgreSQL's limit is 65,535).
    static let bindsPerStatement = 30_000

    /// One column as the catalogue describes it.
    struct Column {
        var name: String
        var type: String
        var isIdentity: Bool
    }

    public var emptyingAdvice: String {
        "stop every gateway instance using it, then drop and recreate its schema (DROP SCHEMA name CASCADE; CREATE SCHEMA name) or name a new, empty database"
    }

    public func transferTables() async throws -> [TransferTable] {
        let names = try await database.rows(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
        ).map { try $0.decode(String.self) }.filter { !Self.tablesNotCopied.contains($0) }
        let references = try await database.rows(
            """
            SELECT source.relname::text, target.relname::text FROM pg_constraint c
            JOIN pg_class source ON source.oid = c.conrelid JOIN pg_class target ON target.oid = c.confrelid
            JOIN pg_namespace n ON n.oid = source.relnamespace
            WHERE c.contype = 'f' AND n.nspname = current_schema()
            """
        ).reduce(into: [String: Set<String>]()) { references, row in
            let (source, target) = try row.decode((String, String).self)
            if source != target { references[source, default: []].insert(target) }
        }
        var tables: [TransferTable] = []
        for name in names {
            var dependsOn = references[name] ?? []
            if let keptFrom = Self.tablesKeptByTriggers[name] { dependsOn.insert(keptFrom) }
            tables.append(TransferTable(name: name, columns: try await columns(of: name).map(\.name), dependsOn: dependsOn.sorted()))
        }
        return tables
    }

    public func rowCount(of table: String) async throws -> Int {
        _ = try await columns(of: table)
        return try await database.rows(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(Self.quoted(table))")).first?.decode(Int.self) ?? 0
    }

    public func exportRows(of table: String, after cursor: TransferCursor?, limit: Int) async throws -> TransferPage {
        let columns = try await columns(of: table)
        let key = try await primaryKey(of: table)
        let types = Dictionary(uniqueKeysWithValues: columns.map { ($0.name, $0.type) })
        var sql = "SELECT \(columns.map { Self.quoted($0.name) }.joined(separator: ", ")) FROM \(Self.quoted(table))"
        var bindings = PostgresBindings()
        // Pages follow the primary key; a table without one (only derived data, small) is one page.
        if !key.isEmpty {
            if let cursor {
                guard cursor.key.count == key.count else { throw GatewayError.invalid("a page cursor of \(table) does not fit its key") }
                for (column, value) in zip(key, cursor.key) { try Self.bind(value, to: column, of: table, type: types[column] ?? "", in: &bindings, at: location) }
                let placeholders = key.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
                sql += " WHERE (\(key.map(Self.quoted).joined(separator: ", "))) > (\(placeholders))"
            }
            sql += " ORDER BY \(key.map(Self.quoted).joined(separator: ", ")) LIMIT \(max(1, limit))"
        }
        let rows = try await database.rows(PostgresQuery(unsafeSQL: sql, binds: bindings))
        let values = try rows.map { row in try row.map { cell in try Self.transferValue(cell, table: table) } }
        let keyIndexes = key.compactMap { column in columns.firstIndex { $0.name == column } }
        let next = !key.isEmpty && rows.count == max(1, limit) ? values.last.map { last in TransferCursor(key: keyIndexes.map { last[$0] }) } : nil
        return TransferPage(columns: columns.map(\.name), rows: values, next: next)
    }

    public func identityHighWater(of table: String) async throws -> Int64? {
        guard let identity = try await columns(of: table).first(where: \.isIdentity) else { return nil }
        return try await database.rows(
            "SELECT pg_sequence_last_value(pg_get_serial_sequence(\(Self.quoted(table)), \(identity.name))::regclass)"
        ).first?.decode(Int64?.self)
    }

    public func beginImport(into table: String) async throws {
        guard Self.tablesKeptByTriggers[table] != nil else { return }
        try await database.execute(PostgresQuery(unsafeSQL: "DELETE FROM \(Self.quoted(table))"))
    }

    public func importRows(_ rows: [[TransferValue]], columns names: [String], into table: String) async throws {
        guard !rows.isEmpty else { return }
        let types = Dictionary(uniqueKeysWithValues: try await columns(of: table).map { ($0.name, $0.type) })
        for name in names where types[name] == nil { throw GatewayError.invalid("\(location) has no column \(table).\(name)") }
        let perStatement = max(1, Self.bindsPerStatement / max(1, names.count))
        let insert = "INSERT INTO \(Self.quoted(table)) (\(names.map(Self.quoted).joined(separator: ", "))) VALUES "
        try await database.transaction { connection in
            for start in stride(from: 0, to: rows.count, by: perStatement) {
                let chunk = rows[start..<min(rows.count, start + perStatement)]
                var bindings = PostgresBindings(capacity: chunk.count * names.count)
                var tuples: [String] = []
                for row in chunk {
                    guard row.count == names.count else { throw GatewayError.invalid("a row of \(table) has \(row.count) values for \(names.count) columns") }
                    let first = bindings.count
                    for (name, value) in zip(names, row) { try Self.bind(value, to: name, of: table, type: types[name] ?? "", in: &bindings, at: location) }
                    tuples.append("(" + (first..<bindings.count).map { "$\($0 + 1)" }.joined(separator: ", ") + ")")
                }
                try await connection.execute(PostgresQuery(unsafeSQL: insert + tuples.joined(separator: ", "), binds: bindings), logger: database.logger)
            }
        }
    }

    public func finishImport(into table: String, identityHighWater highWater: Int64?) async throws {
        for column in try await columns(of: table) where column.isIdentity {
            // Rows were copied with their ids, which an identity does not notice: it is set past the
            // highest id copied and the source's own high-water mark.
            let highest = "(SELECT COALESCE(max(\(Self.quoted(column.name))), 0) FROM \(Self.quoted(table)))"
            try await database.execute(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT setval(pg_get_serial_sequence($1, $2), GREATEST(\(highest), $3, 1), GREATEST(\(highest), $3) > 0)
                        """,
                    binds: try Self.bindings([Self.quoted(table), column.name, highWater ?? 0])))
        }
    }

    public func copyMarker() async throws -> StoreCopyMarker? {
        try await database.rows("SELECT source, started_at FROM store_copy WHERE id = 1").first.map { row in
            let (source, startedAt) = try row.decode((String, Date).self)
            return StoreCopyMarker(source: source, startedAt: startedAt)
        }
    }

    public func placeCopyMarker(_ marker: StoreCopyMarker) async throws {
        let placed = try await database.rows(
            "INSERT INTO store_copy (id, source, started_at) VALUES (1, \(marker.source), \(marker.startedAt)) ON CONFLICT (id) DO NOTHING RETURNING id")
        guard !placed.isEmpty else { throw GatewayError.conflict("\(location) is already being filled by another store copy") }
    }

    public func removeCopyMarker() async throws {
        try await database.execute("DELETE FROM store_copy")
    }

    /// The columns of `table` in this schema, in order.
    /// - Throws: `GatewayError.invalid` for a table the schema lacks (or one not copied).
    func columns(of table: String) async throws -> [Column] {
        let columns = try await database.rows(
            """
            SELECT column_name::text, data_type::text, is_identity::text = 'YES' OR COALESCE(column_default::text LIKE 'nextval(%', false)
            FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = \(table) ORDER BY ordinal_position
            """
        ).map { row in
            let (name, type, isIdentity) = try row.decode((String, String, Bool).self)
            return Column(name: name, type: type, isIdentity: isIdentity)
        }
        guard !columns.isEmpty, !Self.tablesNotCopied.contains(table) else {
            throw GatewayError.invalid("\(location) has no table \(table) to copy")
        }
        return columns
    }

    /// The columns of `table`'s primary key, in the key's order (none for a table without one).
    func primaryKey(of table: String) async throws -> [String] {
        try await database.rows(
            """
            SELECT a.attname::text FROM pg_index i
            JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (i.indkey)
            WHERE i.indisprimary AND n.nspname = current_schema() AND t.relname = \(table)
            ORDER BY array_position(i.indkey::int2[], a.attnum)
            """
        ).map { try $0.decode(String.self) }
    }

    /// A cell as it travels: booleans as 0 and 1, dates as whole microseconds.
    static func transferValue(_ cell: PostgresCell, table: String) throws -> TransferValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int8: return .integer(try cell.decode(Int64.self))
        case .int4: return .integer(Int64(try cell.decode(Int32.self)))
        case .int2: return .integer(Int64(try cell.decode(Int16.self)))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .text, .varchar, .name, .bpchar: return .text(try cell.decode(String.self))
        case .bytea: return .blob(try cell.decode(Data.self))
        case .timestamptz, .timestamp: return .timestamp(microseconds: try cell.decode(PostgresMicroseconds.self).sinceUnixEpoch)
        case .float8: return .real(try cell.decode(Double.self))
        case .float4: return .real(Double(try cell.decode(Float.self)))
        default: throw GatewayError.invalid("\(table).\(cell.columnName) has a PostgreSQL type (\(cell.dataType)) a store copy does not carry")
        }
    }

    /// Appends `value` as the parameter `column` of `type` (its catalogue name) takes.
    /// - Throws: `GatewayError.invalid` when the column cannot hold the value (the schemas differ).
    static func bind(_ value: TransferValue, to column: String, of table: String, type: String, in bindings: inout PostgresBindings, at location: String) throws {
        switch (value, type) {
        case (.null, _): bindings.appendNull()
        case (.integer(let integer), "bigint"), (.integer(let integer), "integer"), (.integer(let integer), "smallint"): bindings.append(integer)
        case (.integer(let integer), "boolean") where integer == 0 || integer == 1: bindings.append(integer == 1)
        case (.text(let text), "text"), (.text(let text), "character varying"): bindings.append(text)
        case (.blob(let data), "bytea"): try bindings.append(data)
        // SQLite keeps what a BLOB column was given; the SQLite store reads text there as its UTF-8 bytes.
        case (.text(let text), "bytea"): try bindings.append(Data(text.utf8))
        case (.timestamp(let microseconds), "timestamp with time zone"), (.timestamp(let microseconds), "timestamp without time zone"):
            bindings.append(PostgresMicroseconds(sinceUnixEpoch: microseconds))
        case (.real(let real), "double precision"), (.real(let real), "real"): bindings.append(real)
        default: throw GatewayError.invalid("\(table).\(column) (\(type)) in \(location) cannot hold a \(value.kind) value")
        }
    }

    private static func bindings(_ values: [any PostgresEncodable & Sendable]) throws -> PostgresBindings {
        var bindings = PostgresBindings()
        for value in values { try bindings.append(value) }
        return bindings
    }

    /// A name as an SQL identifier.
    static func quoted(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
