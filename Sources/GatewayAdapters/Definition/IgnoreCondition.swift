/// A payload the adapter deliberately leaves out of the ledger, with the reason recorded on the
/// delivery: `{ path: data.object.amount_paid, equals: 0, reason: "zero-amount invoice" }`, or
/// `{ path: data.object.refund, present: true, reason: … }` for whether a value is there at all.
public struct IgnoreCondition: Sendable, Hashable, Decodable {
    public var path: FieldPath
    public var equals: JSONValue?
    public var notEquals: JSONValue?
    /// Holds when the path has a non-null value (`true`) or has none (`false`).
    public var present: Bool?
    public var reason: String

    private enum CodingKeys: String, CodingKey {
        case path, equals, reason, present
        case notEquals = "not_equals"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.path = FieldPath(try container.decode(String.self, forKey: .path))
        self.equals = try Self.scalar(container, .equals)
        self.notEquals = try Self.scalar(container, .notEquals)
        self.present = try container.decodeIfPresent(Bool.self, forKey: .present)
        self.reason = try container.decode(String.self, forKey: .reason)
        guard [equals != nil, notEquals != nil, present != nil].filter({ $0 }).count == 1 else {
            throw DecodingError.dataCorruptedError(
                forKey: .equals, in: container, debugDescription: "give exactly one of equals, not_equals or present")
        }
    }

    /// A YAML scalar as the JSON value it stands for. YAML will read `0` as a string too, so the
    /// narrower types are tried first.
    private static func scalar(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> JSONValue? {
        guard container.contains(key) else { return nil }
        if let integer = try? container.decode(Int64.self, forKey: key) { return .integer(integer) }
        if let bool = try? container.decode(Bool.self, forKey: key) { return .bool(bool) }
        return .string(try container.decode(String.self, forKey: key))
    }

    /// Whether the condition reads a fetched entity (`fetched.…`), so waits for the fetch.
    var readsFetched: Bool { path.segments.first == EventMapping.fetchedMember }

    /// Whether `document` should be ignored. Scalars compare by their text, since vendors write
    /// picklist values as strings (`"1"`) and YAML reads `1` as a number; an absent value equals
    /// nothing.
    func holds(for document: JSONValue) -> Bool {
        if let present { return (document.value(at: path) != nil) == present }
        let value = document.value(at: path)?.scalarText
        if let equals { return value != nil && value == equals.scalarText }
        if let notEquals { return value == nil || value != notEquals.scalarText }
        return false
    }
}
