public import Foundation

/// One column's value in a row that a store copy moves from one store to another, in terms both
/// stores read and write exactly, whatever their SQL types.
///
/// Integers stay integers (money is integer minor units and never passes through `Double`);
/// booleans travel as the integers 0 and 1 (SQLite's own form); a date travels as whole
/// microseconds since 1970 in UTC, so no rounding of a `Date`'s floating point can move it.
public enum TransferValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
    /// Microseconds since 1970-01-01 00:00:00 UTC.
    case timestamp(microseconds: Int64)

    /// The kind of value, for a message that must not show the value itself.
    public var kind: String {
        switch self {
        case .null: "null"
        case .integer: "integer"
        case .real: "real"
        case .text: "text"
        case .blob: "blob"
        case .timestamp: "timestamp"
        }
    }
}
