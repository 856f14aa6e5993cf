/// What an import did, or would do on a dry run: each row's outcome, and every refused row with
/// its line, column and reason. A file with any refused row writes nothing.
public struct ImportReport: Sendable, Hashable, Encodable {
    /// What became of one row.
    public enum Action: String, Sendable, Hashable, Encodable {
        case created, changed, unchanged
    }

    public struct RowOutcome: Sendable, Hashable, Encodable {
        public var line: Int
        public var action: Action
        /// The row's natural key as people read it (`Acme Accounting`, `Acme Accounting · brightdental.example · 2025-05-20`).
        public var key: String
    }

    public struct Refusal: Sendable, Hashable, Encodable {
        public var line: Int
        /// The column the reason is about, when it is about one.
        public var column: String?
        public var reason: String
    }

    public var kind: ImportKind
    public var dryRun: Bool
    /// Whether anything was written: false on a dry run and whenever a row was refused.
    public var applied: Bool
    public var created: Int
    public var changed: Int
    public var unchanged: Int
    public var rows: [RowOutcome]
    public var refused: [Refusal]

    init(kind: ImportKind, dryRun: Bool, rows: [RowOutcome], refused: [Refusal]) {
        self.kind = kind
        self.dryRun = dryRun
        self.applied = !dryRun && refused.isEmpty
        self.rows = rows
        self.refused = refused
        created = rows.filter { $0.action == .created }.count
        changed = rows.filter { $0.action == .changed }.count
        unchanged = rows.filter { $0.action == .unchanged }.count
    }

    /// The refusals as one message: `line 4, introduced_on: …; line 7, …`.
    public var refusalSummary: String {
        refused.map { "line \($0.line)\($0.column.map { ", \($0)" } ?? ""): \($0.reason)" }.joined(separator: "; ")
    }

    enum CodingKeys: String, CodingKey {
        case kind, applied, created, changed, unchanged, rows, refused
        case dryRun = "dry_run"
    }
}
