/// One vendor source, as written in `adapters/<source>.yaml`: how it signs, where its delivery id
/// and event type are, and how each event type becomes business events.
public struct AdapterDefinition: Sendable, Decodable {
    /// The route name: deliveries arrive at `POST /webhooks/<source>`; secrets come from
    /// `GATEWAY_<SOURCE>_SECRETS`.
    public var source: String
    /// Bumped whenever the mapping changes; every mapped event records it.
    public var version: Int
    public var description: String?
    public var signature: SignatureDefinition
    /// Headers stored beside each delivery (the rest are dropped).
    public var keptHeaders: [String]
    /// Where the vendor's delivery id is; a retry carries the same one.
    public var deliveryID: DeliveryIDSpec
    public var eventType: FieldSpec
    /// Payloads the whole source leaves out of the ledger.
    public var ignoreWhen: [IgnoreCondition]
    /// Vendor event type → mapping. Types not listed are stored and marked ignored.
    public var events: [String: EventMapping]

    private enum CodingKeys: String, CodingKey {
        case source, version, description, signature, events
        case keptHeaders = "kept_headers"
        case deliveryID = "delivery_id"
        case eventType = "event_type"
        case ignoreWhen = "ignore_when"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.source = try container.decode(String.self, forKey: .source)
        self.version = try container.decode(Int.self, forKey: .version)
        self.description = try container.decodeIfPresent(String.self, forKey: .description)
        self.signature = try container.decode(SignatureDefinition.self, forKey: .signature)
        self.keptHeaders = try container.decodeIfPresent([String].self, forKey: .keptHeaders) ?? []
        self.deliveryID = try container.decode(DeliveryIDSpec.self, forKey: .deliveryID)
        self.eventType = try container.decode(FieldSpec.self, forKey: .eventType)
        self.ignoreWhen = try container.decodeIfPresent([IgnoreCondition].self, forKey: .ignoreWhen) ?? []
        self.events = try container.decodeIfPresent([String: EventMapping].self, forKey: .events) ?? [:]
    }

    /// Checks what decoding cannot: a usable source name and event mappings that give every
    /// field their business event needs, and no field it does not know.
    func validate() throws(AdapterDefinitionError) {
        let allowed = source.utf8.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-") }
        guard !source.isEmpty, allowed else {
            throw AdapterDefinitionError(field: "source", message: "must be lower-case letters, digits and '-' (it is a URL path segment)")
        }
        guard version > 0 else { throw AdapterDefinitionError(field: "version", message: "must be a positive integer") }
        for (type, mapping) in events.sorted(by: { $0.key < $1.key }) {
            let schema = EventSchema.of(mapping.emit)
            try schema.check(fields: Set(mapping.fields.keys), lines: mapping.lines.map { Set($0.fields.keys) }, at: "events.\(type)")
        }
    }
}
