public import Foundation
public import GatewayCore

/// The outbox of outbound events and the message log of their delivery to each endpoint. Events
/// are appended by the writes that cause them (through `OutboundEventRules`); this protocol is how
/// the dispatcher, the admin and the silence monitor read and move them.
public protocol OutboxRepository: Sendable {
    /// Events, newest first, optionally of one type and before a sequence number.
    func events(type: OutboundEventType?, beforeSequence: Int64?, limit: Int) async throws -> [StoredOutboundEvent]
    func event(sequence: Int64) async throws -> StoredOutboundEvent?

    /// Messages matching `query`, newest first.
    func messages(matching query: OutboundMessageQuery) async throws -> [OutboundMessage]
    func message(_ id: OutboundMessageID) async throws -> OutboundMessage?
    /// How many messages each endpoint has in each status.
    func messageCounts() async throws -> [WebhookEndpointID: [OutboundMessageStatus: Int]]

    /// Queues a message again now, its attempts counted from zero.
    /// - Throws: `GatewayError.notFound` for an unknown message.
    func resend(_ id: OutboundMessageID, at now: Date) async throws -> OutboundMessage
    /// Queues every dead message of an endpoint again.
    /// - Returns: how many.
    func resendDead(of endpoint: WebhookEndpointID, at now: Date) async throws -> Int

    /// For each enabled endpoint, its oldest undelivered message (by event order) when that one is
    /// due by `now`: an endpoint's next message waits until the one before it is delivered or dead.
    func dueDispatches(at now: Date, limit: Int) async throws -> [OutboundDispatch]
    /// Records an attempt and its consequence for the endpoint in one transaction: a success
    /// clears its failing time; a failure starts it, and disables the endpoint when it has been
    /// failing since `disableIfFailingSince` or earlier.
    @discardableResult
    func recordAttempt(
        _ message: OutboundMessageID, result: OutboundAttemptResult, disableIfFailingSince cutoff: Date, at now: Date
    ) async throws -> OutboundAttemptRecorded
    /// Appends the events time alone called for since the last look (the store keeps when that
    /// was; the first look only starts the clock, so history is not announced as news).
    func announceTimePassing(at now: Date) async throws
    /// A stream that yields after each committed write that queued or requeued messages (in this
    /// process; other processes' writes are found by polling).
    func queueChanges() -> AsyncStream<Void>

    /// The watched sources with their latest delivery and open alert; a source not watched before
    /// starts being watched at `now`.
    func watch(sources: [String], at now: Date) async throws -> [SourceActivity]
    /// Opens a silence alert and appends `source.silent`, unless one is already open for the source.
    ///
    /// - Returns: whether it opened one.
    func raiseSilence(_ silence: SourceSilence) async throws -> Bool
    /// Closes the source's open alert.
    ///
    /// - Returns: whether one was open.
    @discardableResult
    func clearSilence(source: String, at now: Date) async throws -> Bool
    /// The open silence alerts.
    func silences() async throws -> [SourceSilence]
}
