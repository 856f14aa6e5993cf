import Foundation
import GatewayCore
import Hummingbird

/// The query parameters every report shares.
enum ReportQuery {
    /// `?from=&to=`: a day (`2025-06-01`) or an ISO 8601 timestamp. A day given as `to` is
    /// included whole (the period ends at the next midnight UTC); a timestamp `to` is exclusive.
    static func period(_ request: Request, default fallback: ReportPeriod) throws -> ReportPeriod {
        let parameters = request.uri.queryParameters
        let start = try parameters.get("from").map { try date($0, "from", endOfDay: false) } ?? fallback.start
        let end = try parameters.get("to").map { try date($0, "to", endOfDay: true) } ?? fallback.end
        guard start < end else { throw APIError(.badRequest, "invalid_field", "from must be before to") }
        return ReportPeriod(start: start, end: end)
    }

    static func date(_ text: String, _ name: String, endOfDay: Bool) throws -> Date {
        if let day = try? Date(text, strategy: .iso8601.year().month().day()), text.count == 10 {
            return endOfDay ? Calendar.reports.date(byAdding: .day, value: 1, to: day)! : day
        }
        guard let date = try? Date(text, strategy: .iso8601) else {
            throw APIError(.badRequest, "invalid_field", "\(name) must be a day (2025-06-01) or an ISO 8601 timestamp")
        }
        return date
    }

    /// `?format=json|csv|html`, JSON when absent.
    enum Format: String, CaseIterable {
        case json, csv, html
    }

    static func format(_ request: Request) throws -> Format {
        guard let text = request.uri.queryParameters.get("format") else { return .json }
        guard let format = Format(rawValue: text) else {
            throw APIError(.badRequest, "invalid_field", "format must be one of \(Format.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return format
    }
}
