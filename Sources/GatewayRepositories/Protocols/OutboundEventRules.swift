public import Foundation

/// Which outbound events a change makes and what they carry, decided by the engine. A store is
/// given these rules when it opens and asks them inside every transaction that writes a change
/// receivers may want to hear about; it appends their answer to the outbox in that same
/// transaction, so an event is written exactly when its change commits, and never for a change
/// that rolled back.
public protocol OutboundEventRules: Sendable {
    /// The events the changes a write just made call for.
    func events(for changes: [OutboundChange], at now: Date) -> [OutboundEvent]

    /// The events time alone called for between `candidates.from` and `candidates.to`: holds that
    /// ended, attribution windows that closed.
    func events(forTimePassing candidates: OutboundTimeCandidates) -> [OutboundEvent]
}
