public import Foundation
public import GatewayCore
public import GatewayRepositories

/// `store copy`: moves a whole store into an empty one, SQLite to PostgreSQL or back, and proves
/// the copy before calling it done.
///
/// The target must be empty (a copy never merges) and migrated by this build, as the source is.
/// Before its first row the target is marked as being filled (`StoreCopyMarker`); tables are
/// copied in an order their foreign keys allow, with their ids; then every table's row count is
/// compared with the source's, the target's ledger is rebuilt from its copied events and must give
/// the source's accrual lines (paid lines stay paid), and only then is the marker cleared. A copy
/// that stops on the way (a failure, a killed process) leaves the marker: the next copy, and every
/// command that opens the store, refuses it, saying what happened and how to start over.
///
/// Stop every gateway instance on the source first: a row written during the copy would be missed,
/// and the verification then fails.
public struct StoreCopy: Sendable {
    /// A store a copy reads or fills.
    public typealias Store = any Repositories & StoreTransfer

    /// One table copied, for progress output.
    public struct TableCopied: Sendable, Hashable {
        public var table: String
        public var rows: Int
        /// How many tables are done, this one included, of how many.
        public var done: Int
        public var of: Int
    }

    /// What a finished copy moved and verified.
    public struct Summary: Sendable, Hashable, Encodable {
        public struct Table: Sendable, Hashable, Encodable {
            public var name: String
            public var rows: Int
        }

        public var source: String
        public var target: String
        /// Every table in copying order, with its rows (the same in both stores).
        public var tables: [Table]
        /// The accrual lines the target's rebuilt ledger holds, equal to the source's.
        public var accrualLines: Int
        /// Of those, the lines paid.
        public var paidLines: Int

        enum CodingKeys: String, CodingKey {
            case source, target, tables
            case accrualLines = "accrual_lines"
            case paidLines = "paid_lines"
        }
    }

    public var source: Store
    public var target: Store
    /// Rows per page read from the source and written to the target in one transaction.
    public var pageSize: Int

    public init(from source: Store, to target: Store, pageSize: Int = 256) {
        self.source = source
        self.target = target
        self.pageSize = max(1, pageSize)
    }

    /// Copies, verifies, and clears the target's marker.
    ///
    /// - Parameter progress: told after each table; what it throws stops the copy (leaving the
    ///   target marked, as any interruption does).
    /// - Throws: `GatewayError.conflict` for a target that is not empty or carries an unfinished
    ///   copy (nothing is written to it then); `.invalid` when the schemas differ or the source is
    ///   itself an unfinished copy; `.refused` when the verification fails (the target keeps its
    ///   marker).
    public func run(at now: Date, progress: @Sendable (TableCopied) async throws -> Void = { _ in }) async throws -> Summary {
        guard source.location != target.location else {
            throw GatewayError.invalid("the source and the target are the same store (\(source.location))")
        }
        try await Self.refuseUnfinishedCopy(in: target)
        if let marker = try await source.copyMarker() {
            throw GatewayError.invalid(
                "\(source.location) is itself an unfinished store copy (from \(marker.source), started \(Self.text(marker.startedAt))); copy from a complete store")
        }
        let plan = try StoreCopyPlan(
            source: try await source.transferTables(), target: try await target.transferTables(), sourceLocation: source.location,
            targetLocation: target.location)
        try await refuseNonEmptyTarget(plan)

        try await target.placeCopyMarker(StoreCopyMarker(source: source.location, startedAt: now))
        var copied: [Summary.Table] = []
        for (index, table) in plan.tables.enumerated() {
            let rows = try await copy(table)
            copied.append(Summary.Table(name: table.name, rows: rows))
            try await progress(TableCopied(table: table.name, rows: rows, done: index + 1, of: plan.tables.count))
        }
        try await verifyCounts(copied)
        let lines = try await verifyLedger(at: now)
        try await target.removeCopyMarker()
        return Summary(
            source: source.location, target: target.location, tables: copied, accrualLines: lines.count, paidLines: lines.filter { $0.state == .paid }.count)
    }

    /// Refuses a store that carries the marker of a copy that never finished: its data is
    /// incomplete. `store copy` asks it of its target, and every command of the store it opens.
    ///
    /// - Throws: `GatewayError.conflict`, saying what happened and how to start over.
    public static func refuseUnfinishedCopy(in store: any StoreTransfer) async throws {
        guard let marker = try await store.copyMarker() else { return }
        throw GatewayError.conflict(
            """
            \(store.location) holds an unfinished store copy (from \(marker.source), started \(text(marker.startedAt))): the copy stopped \
            before it was verified, so this store may be missing rows and must not be used. To start over, \(store.emptyingAdvice), then run \
            `referral-gateway store copy` again.
            """)
    }

    /// Refuses a target holding any row: a copy fills an empty store and never merges.
    private func refuseNonEmptyTarget(_ plan: StoreCopyPlan) async throws {
        var occupied: [String] = []
        for table in plan.tables {
            let rows = try await target.rowCount(of: table.name)
            if rows > 0 { occupied.append("\(table.name): \(rows)") }
        }
        guard occupied.isEmpty else {
            throw GatewayError.conflict(
                """
                \(target.location) is not empty (rows in \(occupied.joined(separator: ", "))): a store copy only fills an empty store and \
                never merges, so nothing was written. To copy into it, \(target.emptyingAdvice); or name another target.
                """)
        }
    }

    /// Copies one table page by page. - Returns: the rows copied.
    private func copy(_ table: TransferTable) async throws -> Int {
        try await target.beginImport(into: table.name)
        var cursor: TransferCursor?
        var rows = 0
        repeat {
            let page = try await source.exportRows(of: table.name, after: cursor, limit: pageSize)
            try await target.importRows(page.rows, columns: page.columns, into: table.name)
            rows += page.rows.count
            cursor = page.next
        } while cursor != nil
        try await target.finishImport(into: table.name, identityHighWater: try await source.identityHighWater(of: table.name))
        return rows
    }

    /// Every table holds, in both stores, the rows copied.
    private func verifyCounts(_ copied: [Summary.Table]) async throws {
        var mismatches: [String] = []
        for table in copied {
            let inSource = try await source.rowCount(of: table.name)
            let inTarget = try await target.rowCount(of: table.name)
            if inSource != table.rows || inTarget != table.rows {
                mismatches.append("\(table.name): \(inSource) in the source, \(table.rows) copied, \(inTarget) in the target")
            }
        }
        guard mismatches.isEmpty else {
            throw GatewayError.refused(
                """
                the copy into \(target.location) does not match its source (\(mismatches.joined(separator: "; "))); was a gateway still \
                writing to the source? The target stays marked as an unfinished copy. Stop every instance, then \(target.emptyingAdvice), \
                and copy again.
                """)
        }
    }

    /// Rebuilds the target's ledger from its copied events and holds it to the source's lines.
    /// - Returns: the target's lines.
    private func verifyLedger(at now: Date) async throws -> [Accrual] {
        let expected = try await source.ledger.allAccruals()
        try await target.ledger.recompute(rules: LedgerService(), at: now)
        let rebuilt = try await target.ledger.allAccruals()
        let differences = CopiedLedger.differences(source: expected, target: rebuilt)
        guard differences.isEmpty else {
            let shown = differences.prefix(10).joined(separator: "; ") + (differences.count > 10 ? "; and \(differences.count - 10) more" : "")
            throw GatewayError.refused(
                """
                the ledger rebuilt in \(target.location) differs from the source's (\(shown)); the target stays marked as an unfinished \
                copy. If the source's ledger is out of date, run `referral-gateway ledger rebuild` on it first; then \
                \(target.emptyingAdvice), and copy again.
                """)
        }
        return rebuilt
    }

    static func text(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
