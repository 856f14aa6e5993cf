/// One table a store copy moves: its name, its columns, and the tables whose rows must be in place
/// before its own (what its foreign keys name, and the tables whose triggers fill it).
public struct TransferTable: Sendable, Hashable {
    public var name: String
    public var columns: [String]
    public var dependsOn: [String]

    public init(name: String, columns: [String], dependsOn: [String]) {
        self.name = name
        self.columns = columns
        self.dependsOn = dependsOn
    }
}

/// A page of one table's rows, in the table's key order, as a store exports it.
public struct TransferPage: Sendable, Hashable {
    /// The columns of every row, in order.
    public var columns: [String]
    public var rows: [[TransferValue]]
    /// Where the next page starts, or `nil` when this page was the table's last.
    public var next: TransferCursor?

    public init(columns: [String], rows: [[TransferValue]], next: TransferCursor?) {
        self.columns = columns
        self.rows = rows
        self.next = next
    }
}

/// Where an export goes on: the key of the last row it handed out. Only the store that made it
/// reads it.
public struct TransferCursor: Sendable, Hashable {
    public var key: [TransferValue]

    public init(key: [TransferValue]) {
        self.key = key
    }
}
