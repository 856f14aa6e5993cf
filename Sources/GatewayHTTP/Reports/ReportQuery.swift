import GatewayCore
import Hummingbird

/// The query parameters every report shares.
enum ReportQuery {
    /// `?from=&to=`, read as `ReportPeriod(from:to:default:)` reads them.
    static func period(_ request: Request, default fallback: ReportPeriod) throws -> ReportPeriod {
        let parameters = request.uri.queryParameters
        do {
            return try ReportPeriod(from: parameters.get("from"), to: parameters.get("to"), default: fallback)
        } catch {
            throw GatewayError.invalid(error.reason)
        }
    }

    /// `?format=json|csv|html`, JSON when absent.
    enum Format: String, CaseIterable {
        case json, csv, html
    }

    static func format(_ request: Request) throws -> Format {
        guard let text = request.uri.queryParameters.get("format") else { return .json }
        guard let format = Format(rawValue: text) else {
            throw GatewayError.invalid("format must be one of \(Format.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return format
    }
}
