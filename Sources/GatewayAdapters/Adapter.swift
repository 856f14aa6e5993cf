import Crypto
public import Foundation
public import GatewayCore

/// A loaded, checked adapter definition: verifies, identifies and maps one source's deliveries.
public struct Adapter: Sendable {
    public let definition: AdapterDefinition
    public private(set) var scheme: any SignatureScheme
    /// The Swift connector the definition names, if any.
    public let connector: (any Connector)?

    public init(definition: AdapterDefinition) throws(AdapterDefinitionError) {
        try definition.validate()
        self.definition = definition
        self.scheme = try definition.signature.makeScheme()
        self.connector = try definition.connector?.makeConnector()
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

    /// The top-level members the delivery id and event type are read from, when that is all they
    /// need (no connector); `nil` when the whole document is needed.
    private var identityMembers: Set<String>? {
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
            return .needsEnrichment(requests)
        }
        guard let spec = definition.eventType, case .string(let type)? = spec.resolve(in: document) else {
            throw MappingError(.missingField, "event type not found at \(definition.eventType?.pathDescription ?? "-")")
        }
        guard let mapping = definition.events[type] else {
            return .ignored(reason: "event type \(type) is not mapped by the \(source) adapter (version \(version))")
        }
        if let condition = mapping.ignoreWhen.first(where: { $0.holds(for: document) }) {
            return .ignored(reason: condition.reason)
        }
        return .mapped([try mapping.build(from: document, source: definition.customerSource ?? source)])
    }
}

extension Adapter {
    /// Maps entities fetched for a `needsEnrichment` outcome: their events in order, or the reasons
    /// they were all ignored.
    public func complete(_ fetched: [FetchedEntity]) throws(MappingError) -> MappingOutcome {
        guard let connector else { throw MappingError(.invalidField, "the \(source) adapter has no connector to map fetched entities") }
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
