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

    /// `?name=true|false`, false when absent; anything else is refused rather than read as false.
    static func flag(_ request: Request, _ name: String) throws -> Bool {
        guard let text = request.uri.queryParameters.get(name) else { return false }
        guard let value = Bool(text) else { throw GatewayError.invalid("\(name) must be true or false") }
        return value
    }

    /// `?name=<whole number>`, `nil` when absent; anything else is refused.
    static func integer(_ request: Request, _ name: String) throws -> Int? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let value = Int(text) else { throw GatewayError.invalid("\(name) must be a whole number") }
        return value
    }
}
