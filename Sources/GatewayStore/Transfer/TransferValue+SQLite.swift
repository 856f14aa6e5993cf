import Foundation
import GRDB
import GatewayRepositories

/// How SQLite's values travel in a store copy, and back.
///
/// Dates are kept as GRDB writes them (`yyyy-MM-dd HH:mm:ss.SSS` in UTC, the column declared
/// `DATETIME`); they are read to whole microseconds and written from them here, digit by digit, so
/// the text never depends on how a `Date`'s floating point lands near a millisecond.
extension TransferValue {
    /// A stored value; `isDate` for a `DATETIME` column.
    /// - Returns: `nil` for a date column holding something that is not a date.
    init?(sqlite value: DatabaseValue, isDate: Bool) {
        if isDate, !value.isNull {
            guard let date = Date.fromDatabaseValue(value) else { return nil }
            self = .timestamp(microseconds: Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
            return
        }
        self.init(sqlite: value)
    }

    /// A stored value as it is (a key, which is never a date).
    init(sqlite value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let integer): self = .integer(integer)
        case .double(let real): self = .real(real)
        case .string(let text): self = .text(text)
        case .blob(let data): self = .blob(data)
        }
    }

    /// The value to store. A timestamp keeps its milliseconds, SQLite's precision (a finer one,
    /// from PostgreSQL, is cut to the millisecond below, as the SQLite store itself would).
    var sqliteValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let integer): integer.databaseValue
        case .real(let real): real.databaseValue
        case .text(let text): text.databaseValue
        case .blob(let data): data.databaseValue
        case .timestamp(let microseconds): Self.sqliteDateText(microseconds: microseconds).databaseValue
        }
    }

    /// `yyyy-MM-dd HH:mm:ss.SSS` in UTC, the form GRDB stores dates in.
    static func sqliteDateText(microseconds: Int64) -> String {
        let (seconds, fraction) = floorDivision(microseconds, 1_000_000)
        let parts = utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(seconds)))
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d.%03d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0,
            parts.second ?? 0, Int(fraction / 1000))
    }

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let remainder = value % divisor
        return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
    }

    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        return calendar
    }()
}
