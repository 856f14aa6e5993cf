import GatewayCore

/// Swift mapping for a vendor whose payloads need real logic rather than field paths: which
/// entities a notification names, and how a fetched entity becomes business events. Pure, like the
/// rest of the adapters: the fetching itself happens in the HTTP layer's vendor clients.
public protocol Connector: Sendable {
    /// The name a definition uses: `connector: { name: quickbooks }`.
    var name: String { get }

    /// The entities a notification names that the ledger needs.
    func requests(in document: JSONValue) throws(MappingError) -> [EnrichmentRequest]

    /// The customer id whose record should be fetched beside `entity` (for matching), if any.
    func customerID(in entity: JSONValue) -> String?

    /// What one fetched entity means for the ledger.
    func outcome(of fetched: FetchedEntity, source: String) throws(MappingError) -> MappingOutcome

    /// The entities `requests` name, when the document already carries them (see the extension).
    func prefetched(in document: JSONValue, for requests: [EnrichmentRequest]) -> [FetchedEntity]?
}

extension Connector {
    /// The entities `requests` name, when the document already carries them as the API returned
    /// them (a backfill fetched them to store the notification): mapped without a second fetch.
    /// `nil` (the default) when any is missing: the processor fetches them all.
    public func prefetched(in document: JSONValue, for requests: [EnrichmentRequest]) -> [FetchedEntity]? { nil }
}
