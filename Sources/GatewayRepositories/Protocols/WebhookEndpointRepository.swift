public import Foundation
public import GatewayCore

/// The endpoints outbound events go to, and their signing secrets. Secrets are kept as they are
/// (they sign), so they are only ever read back to sign.
public protocol WebhookEndpointRepository: Sendable {
    /// Stores an endpoint with its first secret; its `id` is assigned by the store.
    func addEndpoint(url: String, description: String?, eventTypes: [OutboundEventType], secret: String, at now: Date) async throws -> WebhookEndpoint
    /// Every endpoint, oldest first.
    func endpoints() async throws -> [WebhookEndpoint]
    func endpoint(_ id: WebhookEndpointID) async throws -> WebhookEndpoint?
    /// Removes an endpoint and its messages (the events stay in the outbox).
    /// - Throws: `GatewayError.notFound` for an unknown endpoint.
    func removeEndpoint(_ id: WebhookEndpointID, at now: Date) async throws
    /// Makes `secret` the endpoint's signing secret; the current one keeps signing beside it until
    /// `previousExpiresAt`, and any older one stops now.
    func rotateSecret(_ id: WebhookEndpointID, to secret: String, previousExpiresAt: Date, at now: Date) async throws -> WebhookEndpoint
    /// Stops sending to an endpoint; its messages wait.
    func disableEndpoint(_ id: WebhookEndpointID, reason: String, at now: Date) async throws -> WebhookEndpoint
    /// Sends to it again, starting with the oldest message waiting, now.
    func enableEndpoint(_ id: WebhookEndpointID, at now: Date) async throws -> WebhookEndpoint
}
