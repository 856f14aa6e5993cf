public import Foundation
public import GatewayCore

/// One event for the outbox, as the engine's rules made it: written in the transaction of the
/// change that caused it, then sent to every endpoint subscribed to its type.
public struct OutboundEvent: Sendable, Hashable {
    /// The stable id receivers see as `webhook-id` (`evt_…`), the same on every attempt and resend.
    public var id: String
    public var type: OutboundEventType
    /// What it is about (`referral:12`, `accrual:40`), for listing.
    public var subject: String
    /// An event whose key is already in the outbox is not written again (a line becomes payable
    /// once); `nil` for events that may recur (a delivery failing again after a replay).
    public var dedupKey: String?
    /// When it happened: the `timestamp` of its body.
    public var occurredAt: Date
    /// The exact body sent (`{"type", "timestamp", "data"}`), signed as is on every attempt.
    public var payload: Data

    public init(id: String, type: OutboundEventType, subject: String, dedupKey: String?, occurredAt: Date, payload: Data) {
        self.id = id
        self.type = type
        self.subject = subject
        self.dedupKey = dedupKey
        self.occurredAt = occurredAt
        self.payload = payload
    }
}

/// An event as the outbox keeps it, with its place in the order events happened.
public struct StoredOutboundEvent: Sendable, Hashable {
    /// Increases with every event written: the order endpoints receive them in.
    public var sequence: Int64
    public var event: OutboundEvent

    public init(sequence: Int64, event: OutboundEvent) {
        self.sequence = sequence
        self.event = event
    }
}

extension StoredOutboundEvent: Encodable {
    enum CodingKeys: String, CodingKey {
        case sequence, id, type, subject, body
        case occurredAt = "occurred_at"
    }

    /// The body as the text sent, so what a receiver got can be compared byte for byte.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sequence, forKey: .sequence)
        try container.encode(event.id, forKey: .id)
        try container.encode(event.type, forKey: .type)
        try container.encode(event.subject, forKey: .subject)
        try container.encode(event.occurredAt, forKey: .occurredAt)
        try container.encode(String(decoding: event.payload, as: UTF8.self), forKey: .body)
    }
}
