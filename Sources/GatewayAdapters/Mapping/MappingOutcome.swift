public import GatewayCore

/// What an adapter made of a verified delivery.
public enum MappingOutcome: Sendable, Hashable {
    /// The business events the delivery carries, in order.
    case mapped([BusinessEvent])
    /// Nothing for the ledger (an event type the adapter does not map, a $0 invoice), and why.
    case ignored(reason: String)
    /// The payload names entities without carrying them: fetch these, then `Adapter.complete`.
    case needsEnrichment([EnrichmentRequest])
}
