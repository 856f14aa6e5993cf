import CSV
public import Foundation
public import GatewayCore

/// A CSV file as an import reads it: RFC 4180 (quoted fields may hold commas, quotes and line
/// breaks), UTF-8 with or without a byte-order mark, a header row naming the kind's columns.
/// File-level problems refuse the whole file before any row is read.
public struct CSVImportFile: Sendable {
    /// One data row: its line in the file (where it starts) and its cells by column.
    public struct Row: Sendable {
        public var line: Int
        public var cells: [String: String]

        /// The cell, trimmed; `nil` when empty.
        public subscript(column: String) -> String? {
            let text = cells[column]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            return text.isEmpty ? nil : text
        }
    }

    /// Imports larger than this are refused before they are read (a spreadsheet of a program is
    /// far smaller; split a bigger one).
    public static let maximumBytes = 10 << 20

    public var columns: [String]
    public var rows: [Row]

    /// - Throws: `GatewayError.invalid` naming what is wrong: too large, not UTF-8 (with the
    ///   line), no header, another delimiter, a missing required column, an unknown column.
    public init(_ data: Data, kind: ImportKind) throws(GatewayError) {
        guard data.count <= Self.maximumBytes else {
            throw .invalid("the file is \(data.count) bytes; imports are limited to \(Self.maximumBytes) bytes (10 MB): split it")
        }
        var bytes = data
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .invalid("the file is not UTF-8 text (line \(Self.lineOfFirstInvalidByte(bytes))); save it as CSV UTF-8")
        }
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: true)
        } catch {
            throw .invalid("the file has no header row")
        }
        let header = (reader.headerRow ?? []).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard header.contains(where: { !$0.isEmpty }) else { throw .invalid("the file has no header row") }
        if header.count == 1, let only = header.first, only.contains(";") || only.contains("\t") {
            throw .invalid("the header is one column, \"\(only)\": separate columns with commas, not semicolons or tabs")
        }
        if let unknown = header.first(where: { !kind.columns.contains($0) }) {
            throw .invalid("unknown column \"\(unknown)\"; \(kind.rawValue) files have \(kind.columns.joined(separator: ", "))")
        }
        if let missing = kind.requiredColumns.first(where: { !header.contains($0) }) {
            throw .invalid("the required column \"\(missing)\" is missing")
        }
        columns = header
        // Lines are counted as the file has them: a quoted field with line breaks spans several.
        var line = 2 + Self.breaks(in: reader.headerRow ?? [])
        var rows: [Row] = []
        while let fields = reader.next() {
            defer { line += 1 + Self.breaks(in: fields) }
            if fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            var cells: [String: String] = [:]
            for (column, value) in zip(header, fields) { cells[column] = value }
            rows.append(Row(line: line, cells: cells))
        }
        if reader.error != nil { throw .invalid("the file could not be read as CSV after line \(line - 1)") }
        self.rows = rows
    }

    private static func breaks(in fields: [String]) -> Int {
        fields.reduce(0) { $0 + $1.reduce(0) { $0 + ($1 == "\n" || $1 == "\r\n" ? 1 : 0) } }
    }

    /// The 1-based line holding the first byte that is not UTF-8.
    private static func lineOfFirstInvalidByte(_ bytes: Data) -> Int {
        var line = 1
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
            if String(validating: bytes[start..<end], as: UTF8.self) == nil { return line }
            line += 1
            start = end < bytes.endIndex ? bytes.index(after: end) : end
        }
        return line
    }
}
