import Crypto
public import Foundation
public import GatewayCore

/// A loaded, checked adapter definition: verifies, identifies and maps one source's deliveries.
public struct Adapter: Sendable {
    public let definition: AdapterDefinition
    public private(set) var scheme: any SignatureScheme
    /// The Swift connector the definition names, if any.
    public let connector: (any Connector)?
    /// The top-level members the delivery id and event type are read from, when that is all they
    /// need (no connector); `nil` when the whole document is needed. Worked out once, not per delivery.
    private let identityMembers: Set<String>?

    public init(definition: AdapterDefinition) throws(AdapterDefinitionError) {
        try definition.validate()
        self.definition = definition
        self.scheme = try definition.signature.makeScheme()
        self.connector = try definition.connector?.makeConnector()
        self.identityMembers = Self.identityMembers(of: definition, connector: connector)
    }

    /// The hosts this adapter may fetch signing keys from (empty when it fetches none).
    public var allowedKeyHosts: [String] {
        (scheme as? ConnectWiseSignatureScheme)?.allowedKeyHosts ?? []
    }

    /// The same adapter fetching signing keys only from `hosts` (the operator's
    /// `GATEWAY_<SOURCE>_KEY_HOSTS`); unchanged for schemes that fetch no keys.
    public func allowingKeyHosts(_ hosts: [String]) -> Adapter {
        guard var connectwise = scheme as? ConnectWiseSignatureScheme else { return self }
        connectwise.allowedKeyHosts = hosts.map { $0.lowercased() }
        var copy = self
        copy.scheme = connectwise
        return copy
    }

    public var source: String { definition.source }
    public var version: Int { definition.version }

    /// Checks the signature on the raw bytes.
    public func verify(body: Data, headers: HeaderValues, secrets: [Secret], now: Date) throws(SignatureFailure) -> Verification {
        try scheme.verify(body: body, headers: headers, secrets: secrets, now: now)
    }

    /// The delivery's id and event type, read at ingest for deduplication and listing.
    ///
    /// A verified body whose id cannot be read (not JSON, no id) is still kept: its id is then
    /// `sha256:` and the hex digest of the body, so an identical retry is still stored once.
    public func identify(_ body: Data, headers: HeaderValues = HeaderValues()) -> DeliveryIdentity {
        // Ingest needs a few top-level members, not the whole document: decode only those when the
        // definition's paths allow it (the hot path: every delivery passes here before its 2xx).
        let document = identityMembers.flatMap { JSONValue.parse(body, onlyMembers: $0) } ?? (try? JSONValue.parse(body))
        let eventType = document.flatMap { self.eventType(of: $0) }
        let id: String?
        switch definition.deliveryID {
        case .field(let spec):
            id = document.flatMap { spec.resolve(in: $0) }.flatMap(\.scalarText)
        case .header(let names):
            id = names.lazy.compactMap { headers[$0] }.first
        case .bodyDigest:
            id = nil
        }
        if let id, !id.isEmpty {
            return DeliveryIdentity(vendorDeliveryID: id, eventType: eventType, derived: false)
        }
        return DeliveryIdentity(vendorDeliveryID: "sha256:\(Hex.encode(SHA256.hash(data: body)))", eventType: eventType, derived: true)
    }

    private static func identityMembers(of definition: AdapterDefinition, connector: (any Connector)?) -> Set<String>? {
        guard connector == nil, let eventType = definition.eventType else { return nil }
        var specs = [eventType]
        if case .field(let spec) = definition.deliveryID { specs.append(spec) }
        func firstSegments(_ spec: FieldSpec) -> [String]? {
            if spec.constant != nil { return [] }
            if let join = spec.join {
                let parts = join.map(firstSegments)
                return parts.contains { $0 == nil } ? nil : parts.flatMap { $0! }
            }
            return spec.paths.map { $0.segments.first ?? "" }
        }
        var members: Set<String> = []
        for spec in specs {
            guard let segments = firstSegments(spec) else { return nil }
            members.formUnion(segments)
        }
        return members
    }

    /// The vendor event type, or for a connector the entities and operations it names
    /// (`Payment.Create,Invoice.Void`).
    private func eventType(of document: JSONValue) -> String? {
        if let spec = definition.eventType { return spec.resolve(in: document)?.scalarText }
        guard let requests = try? connector?.requests(in: document), !requests.isEmpty else { return nil }
        var seen: [String] = []
        for request in requests where !seen.contains("\(request.entity).\(request.operation)") {
            seen.append("\(request.entity).\(request.operation)")
        }
        return seen.joined(separator: ",")
    }

    /// The business events a verified body carries.
    public func map(_ body: Data) throws(MappingError) -> MappingOutcome {
        let document: JSONValue
        do {
            document = try JSONValue.parse(body)
        } catch {
            throw MappingError(.malformedBody, "the body is not a JSON document")
        }
        if let condition = definition.ignoreWhen.first(where: { $0.holds(for: document) }) {
            return .ignored(reason: condition.reason)
        }
        if let connector {
            let requests = try connector.requests(in: document)
            guard !requests.isEmpty else { return .ignored(reason: "the notification names nothing the ledger uses") }
            // A backfilled notification carries what was fetched to write it: nothing to fetch again.
            if let fetched = connector.prefetched(in: document, for: requests) { return try complete(fetched, body: body) }
            return .needsEnrichment(requests)
        }
        let mapping: EventMapping
        switch try self.mapping(of: document, fetched: false) {
        case .found(let found): mapping = found
        case .unmapped(let ignored): return ignored
        }
        // Conditions on what is fetched wait for it (and are left out when nothing needs fetching).
        if let fetch = mapping.fetch, fetch.unless.flatMap({ document.value(at: $0) }) == nil {
            // Nothing to fetch by (an old charge without a PaymentIntent): nothing the ledger can tie.
            guard let id = fetch.id.resolve(in: document)?.scalarText, !id.isEmpty else {
                return .ignored(reason: "no \(fetch.entity) to fetch: nothing at \(fetch.id.pathDescription)")
            }
            let account = mapping.fields["account"]?.resolve(in: document)?.scalarText ?? "-"
            return .needsEnrichment(
                [EnrichmentRequest(connector: fetch.connector, account: account, entity: fetch.entity, id: id, operation: "Read", occurredAt: nil)])
        }
        return Self.outcome(of: try mapping.build(from: document, source: definition.customerSource ?? source))
    }

    /// The built event, unless it changes nothing: a credit of zero (a credit note whose whole
    /// amount went back to the card is counted from the refund's own event).
    private static func outcome(of event: BusinessEvent) -> MappingOutcome {
        if case .creditIssued(let credit) = event, credit.amount.minorUnits == 0 {
            return .ignored(reason: "the credit's amount is zero: nothing is taken back")
        }
        return .mapped([event])
    }

    /// The mapping of the document's event type that applies (the first whose `ignore_when` does
    /// not hold; conditions on `fetched.` only once `fetched`), or why none does.
    private func mapping(of document: JSONValue, fetched: Bool) throws(MappingError) -> MappingLookup {
        guard let spec = definition.eventType, case .string(let type)? = spec.resolve(in: document) else {
            throw MappingError(.missingField, "event type not found at \(definition.eventType?.pathDescription ?? "-")")
        }
        guard let mappings = definition.events[type] else {
            return .unmapped(.ignored(reason: "event type \(type) is not mapped by the \(source) adapter (version \(version))"))
        }
        var reason = ""
        for mapping in mappings {
            guard let condition = mapping.ignoreWhen.first(where: { (fetched || !$0.readsFetched) && $0.holds(for: document) }) else {
                return .found(mapping)
            }
            reason = condition.reason
        }
        return .unmapped(.ignored(reason: reason))
    }

    private enum MappingLookup {
        case found(EventMapping)
        case unmapped(MappingOutcome)
    }
}

extension Adapter {
    /// Maps entities fetched for a `needsEnrichment` outcome: their events in order, or the reasons
    /// they were all ignored. Without a connector, the event mapping that asked for the fetch reads
    /// the delivery's `body` with the fetched entity under `fetched`.
    public func complete(_ fetched: [FetchedEntity], body: Data = Data()) throws(MappingError) -> MappingOutcome {
        guard let connector else { return try completeMapping(with: fetched.first?.entity, body: body) }
        var events: [BusinessEvent] = []
        var reasons: [String] = []
        for entity in fetched {
            switch try connector.outcome(of: entity, source: source) {
            case .mapped(let mapped): events += mapped
            case .ignored(let reason): reasons.append(reason)
            case .needsEnrichment: reasons.append("\(entity.request.entity) \(entity.request.id) asked for more fetching")
            }
        }
        return events.isEmpty ? .ignored(reason: reasons.joined(separator: "; ")) : .mapped(events)
    }

    private func completeMapping(with entity: JSONValue?, body: Data) throws(MappingError) -> MappingOutcome {
        guard case .object(var members)? = try? JSONValue.parse(body) else { throw MappingError(.malformedBody, "the body is not a JSON object") }
        members[EventMapping.fetchedMember] = entity ?? .null
        let document = JSONValue.object(members)
        let mapping: EventMapping
        switch try self.mapping(of: document, fetched: true) {
        case .found(let found): mapping = found
        case .unmapped(let ignored): return ignored
        }
        return Self.outcome(of: try mapping.build(from: document, source: definition.customerSource ?? source))
    }
}

/// How a delivery is known at ingest.
public struct DeliveryIdentity: Sendable, Hashable {
    /// The vendor's id for the delivery (Stripe `evt_…`), or a digest of the body.
    public var vendorDeliveryID: String
    public var eventType: String?
    /// Whether the id was derived from the body rather than read from it.
    public var derived: Bool

    public init(vendorDeliveryID: String, eventType: String?, derived: Bool) {
        self.vendorDeliveryID = vendorDeliveryID
        self.eventType = eventType
        self.derived = derived
    }
}
