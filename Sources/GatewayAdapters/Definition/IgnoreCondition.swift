/// A payload the adapter deliberately leaves out of the ledger, with the reason recorded on the
/// delivery: `{ path: data.object.amount_paid, equals: 0, reason: "zero-amount invoice" }`.
public struct IgnoreCondition: Sendable, Hashable, Decodable {
    public var path: FieldPath
    public var equals: JSONValue?
    public var notEquals: JSONValue?
    public var reason: String

    private enum CodingKeys: String, CodingKey {
        case path, equals, reason
        case notEquals = "not_equals"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.path = FieldPath(try container.decode(String.self, forKey: .path))
        self.equals = try container.decodeIfPresent(JSONValue.self, forKey: .equals)
        self.notEquals = try container.decodeIfPresent(JSONValue.self, forKey: .notEquals)
        self.reason = try container.decode(String.self, forKey: .reason)
        guard (equals == nil) != (notEquals == nil) else {
            throw DecodingError.dataCorruptedError(forKey: .equals, in: container, debugDescription: "give exactly one of equals or not_equals")
        }
    }

    /// Whether `document` should be ignored. An absent value equals nothing.
    func holds(for document: JSONValue) -> Bool {
        let value = document.value(at: path)
        if let equals { return value == equals }
        if let notEquals { return value != notEquals }
        return false
    }
}
