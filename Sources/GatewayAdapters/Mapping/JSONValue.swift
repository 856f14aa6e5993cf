public import Foundation

/// A parsed JSON document. Numbers stay exact: integers as `Int64`, anything else as `Decimal`,
/// never `Double`, because some of them are money.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case decimal(Decimal)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses `data` with Foundation's JSON decoder.
    public static func parse(_ data: Data) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// An object holding only the named top-level members of `data` (the decoder still checks the
    /// whole document is JSON); `nil` when `data` is not a JSON object.
    static func parse(_ data: Data, onlyMembers members: Set<String>) -> JSONValue? {
        let decoder = JSONDecoder()
        decoder.userInfo[MemberProbe.membersKey] = members
        return (try? decoder.decode(MemberProbe.self, from: data)).map { .object($0.members) }
    }

    /// The value at `path`, or `nil` when a segment is missing or the value there is `null`.
    ///
    /// A path continues into a string that holds a JSON document (ConnectWise sends its `Entity`
    /// that way), so definitions read `Entity.company.id` whichever form the vendor used.
    public func value(at path: FieldPath) -> JSONValue? {
        var current = self
        for segment in path.segments {
            if case .string(let text) = current, let embedded = try? JSONValue.parse(Data(text.utf8)) {
                current = embedded
            }
            switch current {
            case .object(let members):
                guard let next = members[segment] else { return nil }
                current = next
            case .array(let elements):
                guard let index = Int(segment), elements.indices.contains(index) else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        if case .null = current { return nil }
        return current
    }

    /// A string, or an integer or boolean written as text; `nil` for anything else.
    public var scalarText: String? {
        switch self {
        case .string(let text): text
        case .integer(let number): String(number)
        case .bool(let flag): String(flag)
        default: nil
        }
    }

    /// A short description of the value's type, for error messages (never the value itself).
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .decimal: "decimal number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

extension JSONValue: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let flag): try container.encode(flag)
        case .integer(let number): try container.encode(number)
        case .decimal(let number): try container.encode(number)
        case .string(let text): try container.encode(text)
        case .array(let elements): try container.encode(elements)
        case .object(let members): try container.encode(members)
        }
    }
}

extension JSONValue: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let integer = try? container.decode(Int64.self) {
            self = .integer(integer)
        } else if let object = try? container.decode([String: JSONValue].self) {
            self = .object(object)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let decimal = try? container.decode(Decimal.self) {
            self = .decimal(decimal)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }
}

/// Decodes the top-level members named in the decoder's user info, and nothing else.
private struct MemberProbe: Decodable {
    static let membersKey = CodingUserInfoKey(rawValue: "gateway.members")!

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    var members: [String: JSONValue] = [:]

    init(from decoder: any Decoder) throws {
        let wanted = decoder.userInfo[Self.membersKey] as? Set<String> ?? []
        let container = try decoder.container(keyedBy: Key.self)
        for name in wanted {
            if let value = try container.decodeIfPresent(JSONValue.self, forKey: Key(stringValue: name)) {
                members[name] = value
            }
        }
    }
}
