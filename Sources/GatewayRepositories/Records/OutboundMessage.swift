public import Foundation
public import GatewayCore

public typealias OutboundMessageID = Identifier<OutboundMessage>

/// Where one event's delivery to one endpoint is.
public enum OutboundMessageStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Not tried yet.
    case pending
    /// Tried and failed; tried again at `nextAttemptAt`.
    case retrying
    /// The endpoint answered 2xx.
    case delivered
    /// Every scheduled attempt failed; an admin can resend it.
    case dead
}

/// One event on its way to one endpoint: the message log's row.
public struct OutboundMessage: Sendable, Hashable, Identifiable {
    public var id: OutboundMessageID
    public var endpointID: WebhookEndpointID
    /// The event's place in the outbox's order.
    public var eventSequence: Int64
    /// The event's id (`webhook-id`).
    public var eventID: String
    public var eventType: OutboundEventType
    public var status: OutboundMessageStatus
    /// Attempts since it was queued (or last resent).
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var lastAttemptAt: Date?
    /// The endpoint's last HTTP status, if it answered at all.
    public var lastStatusCode: Int?
    /// Why the last attempt failed, in words (never the body).
    public var lastError: String?
    public var deliveredAt: Date?
    public var createdAt: Date

    public init(
        id: OutboundMessageID, endpointID: WebhookEndpointID, eventSequence: Int64, eventID: String, eventType: OutboundEventType,
        status: OutboundMessageStatus, attempts: Int, nextAttemptAt: Date?, lastAttemptAt: Date?, lastStatusCode: Int?, lastError: String?,
        deliveredAt: Date?, createdAt: Date
    ) {
        self.id = id
        self.endpointID = endpointID
        self.eventSequence = eventSequence
        self.eventID = eventID
        self.eventType = eventType
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastAttemptAt = lastAttemptAt
        self.lastStatusCode = lastStatusCode
        self.lastError = lastError
        self.deliveredAt = deliveredAt
        self.createdAt = createdAt
    }
}

/// Which messages to list, newest first.
public struct OutboundMessageQuery: Sendable, Hashable {
    public var endpoint: WebhookEndpointID?
    public var statuses: [OutboundMessageStatus]
    public var eventType: OutboundEventType?
    /// Only messages with a smaller id (the last id of the previous page).
    public var beforeID: OutboundMessageID?
    public var limit: Int

    public init(
        endpoint: WebhookEndpointID? = nil, statuses: [OutboundMessageStatus] = [], eventType: OutboundEventType? = nil,
        beforeID: OutboundMessageID? = nil, limit: Int = 100
    ) {
        self.endpoint = endpoint
        self.statuses = statuses
        self.eventType = eventType
        self.beforeID = beforeID
        self.limit = limit
    }
}

/// A message due now, with what sending it needs.
public struct OutboundDispatch: Sendable, CustomStringConvertible {
    public var message: OutboundMessage
    public var url: String
    /// The body to send, as stored.
    public var payload: Data
    /// The endpoint's secrets that sign now, the current one first (a rotated-out one signs
    /// beside it until its overlap ends).
    public var signingSecrets: [String]

    public init(message: OutboundMessage, url: String, payload: Data, signingSecrets: [String]) {
        self.message = message
        self.url = url
        self.payload = payload
        self.signingSecrets = signingSecrets
    }

    /// Never the secrets or the body.
    public var description: String { "message \(message.id) (\(message.eventType.rawValue)) to endpoint \(message.endpointID)" }
}

/// What one attempt to send a message came to.
public enum OutboundAttemptResult: Sendable, Hashable {
    /// The endpoint answered 2xx.
    case delivered(statusCode: Int)
    /// It answered something else, or could not be reached; tried again at `retryAt`, or dead when `nil`.
    case failed(statusCode: Int?, error: String, retryAt: Date?)
}

/// What recording an attempt did beyond the message itself.
public struct OutboundAttemptRecorded: Sendable, Hashable {
    /// The endpoint had failed for so long that it is now disabled.
    public var endpointDisabled: Bool
    /// Since when the endpoint has been failing, after this attempt.
    public var failingSince: Date?

    public init(endpointDisabled: Bool, failingSince: Date?) {
        self.endpointDisabled = endpointDisabled
        self.failingSince = failingSince
    }
}

extension OutboundMessage: Encodable {
    enum CodingKeys: String, CodingKey {
        case id, status, attempts
        case endpointID = "endpoint_id"
        case eventSequence = "event_sequence"
        case eventID = "event_id"
        case eventType = "event_type"
        case nextAttemptAt = "next_attempt_at"
        case lastAttemptAt = "last_attempt_at"
        case lastStatusCode = "last_status_code"
        case lastError = "last_error"
        case deliveredAt = "delivered_at"
        case createdAt = "created_at"
    }
}
