import Foundation
import GatewayCore

/// Reads typed business-event fields out of a payload through a definition's field specs, with
/// errors that name the field and the path it was read from.
struct FieldReader {
    var document: JSONValue
    var fields: [String: FieldSpec]
    /// Prefix for messages about line fields (`lines[2].`).
    var context: String = ""

    private func raw(_ name: String, required: Bool) throws(MappingError) -> (JSONValue, FieldSpec)? {
        guard let spec = fields[name] else { return nil }
        guard let value = spec.resolve(in: document) else {
            if required { throw MappingError(.missingField, "\(context)\(name) not found at \(spec.pathDescription)") }
            return nil
        }
        return (value, spec)
    }

    private func invalid(_ name: String, _ spec: FieldSpec, _ expected: String, _ value: JSONValue) -> MappingError {
        MappingError(.invalidField, "\(context)\(name) at \(spec.pathDescription) must be \(expected), found \(value.typeName)")
    }

    func string(_ name: String) throws(MappingError) -> String {
        try optionalString(name, required: true)!
    }

    func optionalString(_ name: String, required: Bool = false) throws(MappingError) -> String? {
        guard let (value, spec) = try raw(name, required: required) else { return nil }
        switch value {
        case .string(let text): return text
        case .integer(let number): return String(number)
        default: throw invalid(name, spec, "a string", value)
        }
    }

    /// An amount in `currency`, read as the field's `format` says.
    func money(_ name: String, currency: CurrencyCode) throws(MappingError) -> Money {
        try optionalMoney(name, currency: currency, required: true)!
    }

    func optionalMoney(_ name: String, currency: CurrencyCode, required: Bool = false) throws(MappingError) -> Money? {
        guard let (value, spec) = try raw(name, required: required) else { return nil }
        switch (spec.format, value) {
        case (.minorUnits, .integer(let minorUnits)):
            return Money(minorUnits: minorUnits, currency: currency)
        case (.minorUnits, _):
            throw invalid(name, spec, "an integer amount in minor units", value)
        case (.decimal, .integer(let whole)):
            guard let money = Money(decimal: Decimal(whole), currency: currency) else {
                throw MappingError(.invalidField, "\(context)\(name) at \(spec.pathDescription) is too large")
            }
            return money
        case (.decimal, .decimal(let amount)):
            guard let money = Money(decimal: amount, currency: currency) else {
                throw MappingError(
                    .invalidField,
                    "\(context)\(name) at \(spec.pathDescription) has more decimals than \(currency) allows, or is too large")
            }
            return money
        case (.decimal, _):
            throw invalid(name, spec, "a decimal amount", value)
        }
    }

    func currency(_ name: String) throws(MappingError) -> CurrencyCode {
        try optionalCurrency(name, required: true)!
    }

    func optionalCurrency(_ name: String, required: Bool = false) throws(MappingError) -> CurrencyCode? {
        guard let (value, spec) = try raw(name, required: required) else { return nil }
        guard case .string(let text) = value, let code = CurrencyCode(text) else {
            throw invalid(name, spec, "an ISO 4217 currency code", value)
        }
        return code
    }

    func date(_ name: String) throws(MappingError) -> Date {
        try optionalDate(name, required: true)!
    }

    /// Unix seconds (an integer) or an ISO 8601 timestamp.
    func optionalDate(_ name: String, required: Bool = false) throws(MappingError) -> Date? {
        guard let (value, spec) = try raw(name, required: required) else { return nil }
        switch value {
        case .integer(let seconds):
            return Date(timeIntervalSince1970: TimeInterval(seconds))
        case .string(let text):
            if let date = try? Date(text, strategy: .iso8601) { return date }
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle().year().month().day()) { return date }
            throw invalid(name, spec, "unix seconds or an ISO 8601 date or timestamp", value)
        default:
            throw invalid(name, spec, "unix seconds or an ISO 8601 timestamp", value)
        }
    }

    func bool(_ name: String) throws(MappingError) -> Bool {
        let (value, spec) = try raw(name, required: true)!
        guard case .bool(let flag) = value else { throw invalid(name, spec, "true or false", value) }
        return flag
    }
}
