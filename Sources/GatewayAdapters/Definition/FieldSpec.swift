import Foundation

/// Where a business-event field comes from in a vendor payload.
///
/// Written in a definition either as a bare path (`data.object.id`) or as
/// `{ first_of: [path, path], transform: object_id }`: the first path holding a non-null value
/// wins, which is how one definition reads both of a vendor's payload generations.
public struct FieldSpec: Sendable, Hashable {
    /// Small changes a definition may ask for; anything bigger is a named Swift mapper.
    public enum Transform: String, Sendable, Hashable, Codable {
        /// An id that may arrive as a string or as an expanded object with an `id` member.
        case objectID = "object_id"
        /// `true` when any path holds a value, `false` otherwise.
        case present
        case lowercase
        /// A company domain from a web address or an email (`https://www.brightdental.example/` or
        /// `ap@brightdental.example` → `brightdental.example`).
        case domain
        /// A number with its sign turned (a dispute's reinstated funds undo a withdrawal).
        case negate
    }

    /// How an amount is written: integer minor units (Stripe's cents) or a decimal number of
    /// major units (QuickBooks' and ConnectWise's dollars).
    public enum AmountFormat: String, Sendable, Hashable, Codable {
        case minorUnits = "minor_units"
        case decimal
    }

    public var paths: [FieldPath]
    /// Set instead of `paths`: the text of each part, joined with `separator` (all must be present).
    public var join: [FieldSpec]?
    /// Set instead of `paths`: a fixed value (`{ value: USD }` for a vendor that never names its currency).
    public var constant: JSONValue?
    public var separator: String
    public var transform: Transform?
    public var format: AmountFormat
    /// A number to subtract from this one (absent counts as zero): Stripe's `charge.refunded`
    /// gives the refunded total before and after, and the refund is the difference.
    public var minus: [FieldSpec]

    public init(
        paths: [FieldPath], join: [FieldSpec]? = nil, constant: JSONValue? = nil, separator: String = ":",
        transform: Transform? = nil, format: AmountFormat = .minorUnits, minus: [FieldSpec] = []
    ) {
        self.paths = paths
        self.join = join
        self.constant = constant
        self.separator = separator
        self.transform = transform
        self.format = format
        self.minus = minus
    }

    /// The field's value in `document`, transformed; `nil` when no path holds one.
    func resolve(in document: JSONValue) -> JSONValue? {
        let found: JSONValue?
        if let constant {
            found = constant
        } else if let join {
            let parts = join.map { $0.resolve(in: document)?.scalarText }
            found = parts.contains(nil) ? nil : .string(parts.map { $0! }.joined(separator: separator))
        } else {
            found = paths.lazy.compactMap { document.value(at: $0) }.first
        }
        let value = minus.isEmpty ? found : found.flatMap { Self.difference($0, minus.compactMap { $0.resolve(in: document) }) }
        return Self.transformed(value, transform)
    }

    /// `value` less each of `subtrahends`, for integers and decimals alike; `nil` when any is not a number.
    private static func difference(_ value: JSONValue, _ subtrahends: [JSONValue]) -> JSONValue? {
        func decimal(_ value: JSONValue) -> Decimal? {
            switch value {
            case .integer(let number): Decimal(number)
            case .decimal(let number): number
            default: nil
            }
        }
        if case .integer(var result) = value, subtrahends.allSatisfy({ if case .integer = $0 { true } else { false } }) {
            for case .integer(let number) in subtrahends { result -= number }
            return .integer(result)
        }
        guard var result = decimal(value) else { return nil }
        for subtrahend in subtrahends {
            guard let number = decimal(subtrahend) else { return nil }
            result -= number
        }
        return .decimal(result)
    }

    private static func transformed(_ found: JSONValue?, _ transform: Transform?) -> JSONValue? {
        switch transform {
        case nil:
            return found
        case .present:
            return .bool(found != nil)
        case .objectID:
            if case .object(let members) = found { return members["id"].flatMap { $0 == .null ? nil : $0 } }
            return found
        case .lowercase:
            if case .string(let text) = found { return .string(text.lowercased()) }
            return found
        case .domain:
            guard case .string(let text) = found else { return found }
            return Self.domain(of: text).map(JSONValue.string)
        case .negate:
            switch found {
            case .integer(let number): return .integer(-number)
            case .decimal(let number): return .decimal(-number)
            default: return found
            }
        }
    }

    static func domain(of text: String) -> String? {
        var host = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let at = host.lastIndex(of: "@") { host = String(host[host.index(after: at)...]) }
        if let scheme = host.range(of: "://") { host = String(host[scheme.upperBound...]) }
        host = String(host.prefix { $0 != "/" && $0 != ":" && $0 != "?" })
        if host.hasPrefix("www.") { host.removeFirst(4) }
        return host.contains(".") ? host : nil
    }

    /// `minus: path` or `minus: [path, path]`.
    private static func specs(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> [FieldSpec] {
        guard container.contains(key) else { return [] }
        if let one = try? container.decode(FieldSpec.self, forKey: key) { return [one] }
        return try container.decode([FieldSpec].self, forKey: key)
    }

    /// How the spec reads in a message: `data.object.customer` or `first of [a, b]`.
    var pathDescription: String {
        if let constant { return "the constant \(constant.scalarText ?? "value")" }
        if let join { return "join of [\(join.map(\.pathDescription).joined(separator: ", "))]" }
        return paths.count == 1 ? paths[0].description : "first of [\(paths.map(\.description).joined(separator: ", "))]"
    }
}

extension FieldSpec: Decodable {
    private enum CodingKeys: String, CodingKey {
        case path, join, separator, transform, format, value, minus
        case firstOf = "first_of"
    }

    public init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            self.init(paths: [FieldPath(text)])
        } else {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let single = try container.decodeIfPresent(String.self, forKey: .path)
            let several = try container.decodeIfPresent([String].self, forKey: .firstOf)
            let join = try container.decodeIfPresent([FieldSpec].self, forKey: .join)
            let constant = try container.decodeIfPresent(String.self, forKey: .value).map(JSONValue.string)
            guard [single != nil, several != nil, join != nil, constant != nil].filter({ $0 }).count == 1 else {
                throw DecodingError.dataCorruptedError(
                    forKey: .path, in: container, debugDescription: "give exactly one of path, first_of, join or value")
            }
            self.init(
                paths: (several ?? single.map { [$0] } ?? []).map(FieldPath.init),
                join: join,
                constant: constant,
                separator: try container.decodeIfPresent(String.self, forKey: .separator) ?? ":",
                transform: try container.decodeIfPresent(Transform.self, forKey: .transform),
                format: try container.decodeIfPresent(AmountFormat.self, forKey: .format) ?? .minorUnits,
                minus: try Self.specs(container, .minus))
        }
        for path in paths + minus.flatMap(\.paths) where !path.isValid {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "malformed path \(path)"))
        }
    }
}
