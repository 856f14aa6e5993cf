import Foundation

/// Rows written as RFC 4180 CSV (comma separated, CRLF, quotes doubled), for spreadsheets and
/// accounts-payable imports.
///
/// A text cell that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab
/// or a carriage return) is prefixed with `'`, so a partner named `=HYPERLINK(…)` stays text;
/// plain numbers such as `-49.90` are left as they are.
public struct CSVTable: Sendable {
    public var header: [String]
    public private(set) var rows: [[String]] = []

    public init(header: [String]) {
        self.header = header
    }

    public mutating func append(_ row: [String]) {
        precondition(row.count == header.count, "a CSV row has \(row.count) cells for \(header.count) columns")
        rows.append(row)
    }

    public var text: String {
        ([header] + rows).map { $0.map(Self.cell).joined(separator: ",") + "\r\n" }.joined()
    }

    static func cell(_ value: String) -> String {
        var value = value
        if let first = value.first, "=+-@\t\r".contains(first), !isNumber(value) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private static func isNumber(_ value: String) -> Bool {
        var digits = value.utf8.dropFirst(value.hasPrefix("-") || value.hasPrefix("+") ? 1 : 0)
        guard !digits.isEmpty else { return false }
        if let dot = digits.firstIndex(of: UInt8(ascii: ".")) {
            let fraction = digits[digits.index(after: dot)...]
            guard !fraction.isEmpty, fraction.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return false }
            digits = digits[..<dot]
        }
        return !digits.isEmpty && digits.allSatisfy { $0 >= 48 && $0 <= 57 }
    }
}
