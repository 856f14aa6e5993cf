import GatewayCore

/// One vendor source, as written in `adapters/<source>.yaml`: how it signs, where its delivery id
/// and event type are, and how each event type becomes business events.
public struct AdapterDefinition: Sendable, Decodable {
    /// The route name: deliveries arrive at `POST /webhooks/<source>`; secrets come from
    /// `GATEWAY_<SOURCE>_SECRETS`.
    public var source: String
    /// The system whose ids the customers carry, when it is not the source itself: polled Autotask
    /// contracts name the same companies as Autotask webhooks (`customer_source: autotask`).
    public var customerSource: String?
    /// Bumped whenever the mapping changes; every mapped event records it.
    public var version: Int
    public var description: String?
    public var signature: SignatureDefinition
    /// Headers stored beside each delivery (the rest are dropped).
    public var keptHeaders: [String]
    /// Where the vendor's delivery id is; a retry carries the same one.
    public var deliveryID: DeliveryIDSpec
    /// Where the vendor event type is; optional for a connector, which names its own.
    public var eventType: FieldSpec?
    /// A Swift connector that maps this source (QuickBooks), instead of or beside `events`.
    public var connector: ConnectorDefinition?
    /// Payloads the whole source leaves out of the ledger.
    public var ignoreWhen: [IgnoreCondition]
    /// Vendor event type → mapping. Types not listed are stored and marked ignored.
    /// Each vendor event type's mappings: usually one; several when one vendor event means
    /// different things (ConnectWise's `agreement.updated` is a cancellation or an amount change),
    /// and the first whose `ignore_when` does not hold applies.
    public var events: [String: [EventMapping]]
    /// Answer this source's webhooks with a status and no body, refusals included: Xero's
    /// intent-to-receive check wants no body in its 200 and 401 answers.
    public var emptyResponses: Bool

    private enum CodingKeys: String, CodingKey {
        case source, version, description, signature, events, connector
        case keptHeaders = "kept_headers"
        case customerSource = "customer_source"
        case deliveryID = "delivery_id"
        case eventType = "event_type"
        case ignoreWhen = "ignore_when"
        case emptyResponses = "empty_responses"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.source = try container.decode(String.self, forKey: .source)
        self.version = try container.decode(Int.self, forKey: .version)
        self.customerSource = try container.decodeIfPresent(String.self, forKey: .customerSource)
        self.description = try container.decodeIfPresent(String.self, forKey: .description)
        self.signature = try container.decode(SignatureDefinition.self, forKey: .signature)
        self.keptHeaders = try container.decodeIfPresent([String].self, forKey: .keptHeaders) ?? []
        self.deliveryID = try container.decode(DeliveryIDSpec.self, forKey: .deliveryID)
        self.eventType = try container.decodeIfPresent(FieldSpec.self, forKey: .eventType)
        self.connector = try container.decodeIfPresent(ConnectorDefinition.self, forKey: .connector)
        self.ignoreWhen = try container.decodeIfPresent([IgnoreCondition].self, forKey: .ignoreWhen) ?? []
        self.events = try (container.decodeIfPresent([String: OneOrMany<EventMapping>].self, forKey: .events) ?? [:]).mapValues(\.values)
        self.emptyResponses = try container.decodeIfPresent(Bool.self, forKey: .emptyResponses) ?? false
    }

    /// Checks what decoding cannot: a usable source name and event mappings that give every
    /// field their business event needs, and no field it does not know.
    func validate() throws(AdapterDefinitionError) {
        let allowed = source.utf8.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-") }
        guard !source.isEmpty, allowed else {
            throw AdapterDefinitionError(field: "source", message: "must be lower-case letters, digits and '-' (it is a URL path segment)")
        }
        guard version > 0 else { throw AdapterDefinitionError(field: "version", message: "must be a positive integer") }
        // Kept headers are stored beside the delivery and shown to admins: never a credential.
        let credentialHeaders = ["authorization", "proxy-authorization"] + (signature.scheme == "shared_credential" ? [(signature.header ?? "").lowercased()] : [])
        if let kept = keptHeaders.first(where: { credentialHeaders.contains($0.lowercased()) }) {
            throw AdapterDefinitionError(field: "kept_headers", message: "\(kept) carries a credential and must not be stored")
        }
        if connector == nil, eventType == nil {
            throw AdapterDefinitionError(field: "event_type", message: "required unless a connector maps the source")
        }
        for (type, mappings) in events.sorted(by: { $0.key < $1.key }) {
            guard !mappings.isEmpty else { throw AdapterDefinitionError(field: "events.\(type)", message: "give a mapping or a list of them") }
            for (index, mapping) in mappings.enumerated() {
                let location = mappings.count == 1 ? "events.\(type)" : "events.\(type).\(index)"
                try EventSchema.of(mapping.emit).check(fields: Set(mapping.fields.keys), lines: mapping.lines.map { Set($0.fields.keys) }, at: location)
            }
        }
    }
}

/// `connector: { name: quickbooks, home_currency: USD }`.
public struct ConnectorDefinition: Sendable, Hashable, Decodable {
    public var name: String
    public var homeCurrency: String?

    private enum CodingKeys: String, CodingKey {
        case name
        case homeCurrency = "home_currency"
    }

    func makeConnector() throws(AdapterDefinitionError) -> any Connector {
        switch name {
        case "quickbooks":
            guard let currency = CurrencyCode(homeCurrency ?? "USD") else {
                throw AdapterDefinitionError(field: "connector.home_currency", message: "not an ISO 4217 currency code")
            }
            return QuickBooksConnector(homeCurrency: currency)
        case "xero":
            guard let homeCurrency else { return XeroConnector() }
            guard let currency = CurrencyCode(homeCurrency) else {
                throw AdapterDefinitionError(field: "connector.home_currency", message: "not an ISO 4217 currency code")
            }
            return XeroConnector(homeCurrency: currency)
        default:
            throw AdapterDefinitionError(field: "connector.name", message: "unknown connector \(name); known: quickbooks, xero")
        }
    }
}

/// A YAML value written as one item or a list of them.
struct OneOrMany<Element: Decodable>: Decodable {
    var values: [Element]

    init(from decoder: any Decoder) throws {
        if let many = try? [Element](from: decoder) {
            values = many
        } else {
            values = [try Element(from: decoder)]
        }
    }
}
