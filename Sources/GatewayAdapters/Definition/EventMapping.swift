public import GatewayCore

/// How one vendor event type becomes a business event.
public struct EventMapping: Sendable, Hashable, Decodable {
    /// Where an event's lines are, and the fields of each line relative to it.
    public struct Lines: Sendable, Hashable, Decodable {
        public var each: FieldPath
        public var fields: [String: FieldSpec]

        private enum CodingKeys: String, CodingKey { case each, fields }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.each = FieldPath(try container.decode(String.self, forKey: .each))
            self.fields = try container.decode([String: FieldSpec].self, forKey: .fields)
        }
    }

    public var emit: BusinessEvent.Kind
    public var ignoreWhen: [IgnoreCondition]
    public var fields: [String: FieldSpec]
    public var lines: Lines?

    private enum CodingKeys: String, CodingKey {
        case emit, fields, lines
        case ignoreWhen = "ignore_when"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.emit = try container.decode(BusinessEvent.Kind.self, forKey: .emit)
        self.ignoreWhen = try container.decodeIfPresent([IgnoreCondition].self, forKey: .ignoreWhen) ?? []
        self.fields = try container.decode([String: FieldSpec].self, forKey: .fields)
        self.lines = try container.decodeIfPresent(Lines.self, forKey: .lines)
    }
}
