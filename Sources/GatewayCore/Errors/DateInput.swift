public import Foundation

/// Dates as admins type them, in every place that takes one (API bodies, query strings, command
/// flags, imports): a day (`2025-05-20`, midnight UTC) or an ISO 8601 timestamp.
public enum DateInput {
    /// The date `text` names, or `GatewayError.invalid` naming the field.
    public static func parse(_ text: String, field: String) throws(GatewayError) -> Date {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        // The parser rolls an impossible day over (2026-02-30 would be 2 March): a day must read
        // back as it was written.
        let dayStyle = Date.ISO8601FormatStyle().year().month().day()
        if trimmed.count == 10, let day = try? Date(trimmed, strategy: dayStyle), day.formatted(dayStyle) == trimmed { return day }
        if let instant = try? Date(trimmed, strategy: .iso8601) { return instant }
        throw .invalid("\(field) must be a day (2025-06-01) or an ISO 8601 timestamp, not '\(text.prefix(40))'", field: field)
    }

    /// An exclusive end bound: a day (`2025-06-30`) includes that whole day, so the bound is the
    /// next midnight UTC; a timestamp is the bound itself. How reports and filters read `to`.
    public static func parseEnd(_ text: String, field: String) throws(GatewayError) -> Date {
        let date = try parse(text, field: field)
        let isDay = text.trimmingCharacters(in: .whitespaces).count == 10
        return isDay ? Calendar.reports.date(byAdding: .day, value: 1, to: date)! : date
    }

    /// `parseEnd` for an optional field.
    public static func parseEndIfPresent(_ text: String?, field: String) throws(GatewayError) -> Date? {
        guard let text else { return nil }
        return try parseEnd(text, field: field)
    }

    /// `parse` for an optional field.
    public static func parseIfPresent(_ text: String?, field: String) throws(GatewayError) -> Date? {
        guard let text else { return nil }
        return try parse(text, field: field)
    }
}
