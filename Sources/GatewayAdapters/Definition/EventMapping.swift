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

    /// What to fetch from the vendor's API when the payload leaves something out: Stripe's
    /// `charge.refunded` no longer names its invoice (API version basil), so the invoice payment of
    /// its PaymentIntent is fetched and read under `fetched.` in the fields.
    public struct Fetch: Sendable, Hashable, Decodable {
        /// The API client that fetches it (`stripe`).
        public var connector: String
        /// The entity as the client names it (`invoice_payment`).
        public var entity: String
        /// The id to fetch it by.
        public var id: FieldSpec
        /// No fetch when this path has a value (an older payload that names the invoice itself).
        public var unless: FieldPath?

        private enum CodingKeys: String, CodingKey { case connector, entity, id, unless }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.connector = try container.decode(String.self, forKey: .connector)
            self.entity = try container.decode(String.self, forKey: .entity)
            self.id = try container.decode(FieldSpec.self, forKey: .id)
            self.unless = try container.decodeIfPresent(String.self, forKey: .unless).map(FieldPath.init)
        }
    }

    /// The member fetched entities are read under: `fetched.data.0.invoice`.
    public static let fetchedMember = "fetched"

    public var emit: BusinessEvent.Kind
    public var ignoreWhen: [IgnoreCondition]
    public var fields: [String: FieldSpec]
    public var lines: Lines?
    public var fetch: Fetch?

    private enum CodingKeys: String, CodingKey {
        case emit, fields, lines, fetch
        case ignoreWhen = "ignore_when"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.emit = try container.decode(BusinessEvent.Kind.self, forKey: .emit)
        self.ignoreWhen = try container.decodeIfPresent([IgnoreCondition].self, forKey: .ignoreWhen) ?? []
        self.fields = try container.decode([String: FieldSpec].self, forKey: .fields)
        self.lines = try container.decodeIfPresent(Lines.self, forKey: .lines)
        self.fetch = try container.decodeIfPresent(Fetch.self, forKey: .fetch)
    }
}
