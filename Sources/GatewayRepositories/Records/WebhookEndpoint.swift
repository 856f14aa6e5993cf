public import Foundation
public import GatewayCore

public typealias WebhookEndpointID = Identifier<WebhookEndpoint>

/// An address an admin registered to receive outbound events, signed with its own secret.
public struct WebhookEndpoint: Sendable, Hashable, Identifiable {
    public var id: WebhookEndpointID
    public var url: String
    public var description: String?
    /// The types it receives; empty means every type.
    public var eventTypes: [OutboundEventType]
    public var createdAt: Date
    /// When the current secret was made (at creation or the last rotation).
    public var secretCreatedAt: Date
    /// Until when a rotated-out secret still signs beside the current one.
    public var previousSecretExpiresAt: Date?
    /// When it stopped receiving (an admin, or failing for too long); its messages wait meanwhile.
    public var disabledAt: Date?
    public var disabledReason: String?
    /// Since when every attempt to it has failed; `nil` after a success.
    public var failingSince: Date?

    public init(
        id: WebhookEndpointID, url: String, description: String?, eventTypes: [OutboundEventType], createdAt: Date, secretCreatedAt: Date,
        previousSecretExpiresAt: Date?, disabledAt: Date?, disabledReason: String?, failingSince: Date?
    ) {
        self.id = id
        self.url = url
        self.description = description
        self.eventTypes = eventTypes
        self.createdAt = createdAt
        self.secretCreatedAt = secretCreatedAt
        self.previousSecretExpiresAt = previousSecretExpiresAt
        self.disabledAt = disabledAt
        self.disabledReason = disabledReason
        self.failingSince = failingSince
    }

    /// Whether it receives events of `type`.
    public func receives(_ type: OutboundEventType) -> Bool {
        eventTypes.isEmpty || eventTypes.contains(type)
    }
}

extension WebhookEndpoint: Encodable {
    enum CodingKeys: String, CodingKey {
        case id, url, description
        case eventTypes = "events"
        case createdAt = "created_at"
        case secretCreatedAt = "secret_created_at"
        case previousSecretExpiresAt = "previous_secret_expires_at"
        case disabledAt = "disabled_at"
        case disabledReason = "disabled_reason"
        case failingSince = "failing_since"
    }
}
