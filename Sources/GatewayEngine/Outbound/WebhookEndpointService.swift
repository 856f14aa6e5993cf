public import Foundation
public import GatewayCore
public import GatewayRepositories

/// The admin's side of outbound events, whether the admin API, the command line or the console
/// asked: endpoints, their secrets (shown once, rotated with an overlap), the message log, and
/// resends. Validates every input and writes through the repositories.
public struct WebhookEndpointService: Sendable {
    private let store: any Repositories
    /// How long a rotated-out secret keeps signing beside the new one, unless a rotation says.
    public let rotationOverlap: TimeInterval

    /// The longest overlap a rotation may ask for.
    public static let maxOverlapHours = 24.0 * 30
    /// The default overlap: a day.
    public static let defaultRotationOverlap: TimeInterval = 86_400

    public init(store: any Repositories, rotationOverlap: TimeInterval = WebhookEndpointService.defaultRotationOverlap) {
        self.store = store
        self.rotationOverlap = rotationOverlap
    }

    // MARK: Endpoints

    /// Registers an endpoint with a new secret, returned this once.
    ///
    /// - Throws: `GatewayError.invalid` for an address that is not http(s) or an unknown event type.
    public func add(_ input: WebhookEndpointInput, at now: Date) async throws -> IssuedWebhookSecret {
        let url = try Self.url(input.url)
        let types = try Self.eventTypes(input.events)
        let description = input.description?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let description, description.count > 200 { throw GatewayError.invalid("description must be at most 200 characters", field: "description") }
        let secret = Self.newSecret()
        let endpoint = try await store.webhookEndpoints.addEndpoint(
            url: url, description: description?.isEmpty == false ? description : nil, eventTypes: types, secret: secret, at: now)
        return IssuedWebhookSecret(endpoint: endpoint, secret: secret)
    }

    /// Every endpoint with how many of its messages are in each status.
    public func endpoints() async throws -> [WebhookEndpointRecord] {
        let counts = try await store.outbox.messageCounts()
        return try await store.webhookEndpoints.endpoints().map { WebhookEndpointRecord(endpoint: $0, messages: counts[$0.id] ?? [:]) }
    }

    /// - Throws: `GatewayError.notFound` for an unknown id.
    public func endpoint(_ id: WebhookEndpointID) async throws -> WebhookEndpointRecord {
        guard let endpoint = try await store.webhookEndpoints.endpoint(id) else { throw GatewayError.notFound("webhook endpoint \(id) does not exist") }
        return WebhookEndpointRecord(endpoint: endpoint, messages: try await store.outbox.messageCounts()[id] ?? [:])
    }

    /// Removes an endpoint and its message log.
    public func remove(_ id: WebhookEndpointID, at now: Date) async throws {
        try await store.webhookEndpoints.removeEndpoint(id, at: now)
    }

    /// Makes a new secret, returned this once; the current one keeps signing beside it for the
    /// overlap, so receivers can switch without missing a message.
    ///
    /// - Parameter overlapHours: 0 to `maxOverlapHours`; the gateway's default when `nil`.
    public func rotateSecret(_ id: WebhookEndpointID, overlapHours: Double? = nil, at now: Date) async throws -> IssuedWebhookSecret {
        let overlap: TimeInterval
        if let overlapHours {
            guard overlapHours.isFinite, (0...Self.maxOverlapHours).contains(overlapHours) else {
                throw GatewayError.invalid("overlap_hours must be 0 to \(Int(Self.maxOverlapHours))", field: "overlap_hours")
            }
            overlap = overlapHours * 3_600
        } else {
            overlap = rotationOverlap
        }
        let secret = Self.newSecret()
        let endpoint = try await store.webhookEndpoints.rotateSecret(id, to: secret, previousExpiresAt: now.addingTimeInterval(overlap), at: now)
        return IssuedWebhookSecret(endpoint: endpoint, secret: secret)
    }

    /// Stops sending to an endpoint; its messages wait until it is enabled.
    public func disable(_ id: WebhookEndpointID, reason: String?, at now: Date) async throws -> WebhookEndpoint {
        let why = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
        return try await store.webhookEndpoints.disableEndpoint(id, reason: why?.isEmpty == false ? why! : "disabled by an admin", at: now)
    }

    /// Sends to an endpoint again, from the oldest message waiting.
    public func enable(_ id: WebhookEndpointID, at now: Date) async throws -> WebhookEndpoint {
        try await store.webhookEndpoints.enableEndpoint(id, at: now)
    }

    /// Endpoints that are not receiving, for the console's banner.
    public func disabledEndpoints() async throws -> [WebhookEndpoint] {
        try await store.webhookEndpoints.endpoints().filter { $0.disabledAt != nil }
    }

    // MARK: Messages and events

    /// The message log, newest first.
    ///
    /// - Parameter statuses: raw values of `OutboundMessageStatus`.
    public func messages(
        endpoint: WebhookEndpointID? = nil, statuses: [String] = [], eventType: String? = nil, before: Int64? = nil, limit: Int = 100
    ) async throws -> [OutboundMessage] {
        if let endpoint { _ = try await self.endpoint(endpoint) }
        let query = OutboundMessageQuery(
            endpoint: endpoint,
            statuses: try statuses.map { text throws(GatewayError) in try ProgramValidation.choice(text, "status", OutboundMessageStatus.self) },
            eventType: try eventType.map { text throws(GatewayError) in try ProgramValidation.choice(text, "event_type", OutboundEventType.self) },
            beforeID: before.map(OutboundMessageID.init), limit: min(max(limit, 1), 1_000))
        return try await store.outbox.messages(matching: query)
    }

    /// One message with the body its event carries.
    public func message(_ id: OutboundMessageID) async throws -> OutboundMessageRecord {
        guard let message = try await store.outbox.message(id) else { throw GatewayError.notFound("webhook message \(id) does not exist") }
        let event = try await store.outbox.event(sequence: message.eventSequence)
        return OutboundMessageRecord(message: message, payload: event?.event.payload ?? Data())
    }

    /// Sends a message again (a delivered one too: the receiver lost it), with a fresh schedule.
    /// It keeps its `webhook-id`, so a receiver that has it already can tell.
    public func resend(_ id: OutboundMessageID, at now: Date) async throws -> OutboundMessage {
        try await store.outbox.resend(id, at: now)
    }

    /// Sends every dead message of an endpoint again, in their order.
    /// - Returns: how many.
    public func resendFailed(of endpoint: WebhookEndpointID, at now: Date) async throws -> Int {
        try await store.outbox.resendDead(of: endpoint, at: now)
    }

    /// The outbox, newest first.
    public func events(type: String? = nil, before: Int64? = nil, limit: Int = 100) async throws -> [StoredOutboundEvent] {
        let type = try type.map { text throws(GatewayError) in try ProgramValidation.choice(text, "type", OutboundEventType.self) }
        return try await store.outbox.events(type: type, beforeSequence: before, limit: min(max(limit, 1), 1_000))
    }

    // MARK: Validation

    static func url(_ text: String?) throws(GatewayError) -> String {
        let trimmed = try ProgramValidation.required(text, "url")
        guard trimmed.count <= 2_000, let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty
        else { throw .invalid("url must be an http:// or https:// address", field: "url") }
        return trimmed
    }

    static func eventTypes(_ names: [String]?) throws(GatewayError) -> [OutboundEventType] {
        var types: [OutboundEventType] = []
        for name in names ?? [] {
            let type = try ProgramValidation.choice(name, "events", OutboundEventType.self)
            if !types.contains(type) { types.append(type) }
        }
        return types.sorted()
    }

    /// A Standard Webhooks secret: `whsec_` and the base64 of 24 random bytes.
    static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return "whsec_" + Data((0..<24).map { _ in UInt8.random(in: .min ... .max, using: &generator) }).base64EncodedString()
    }
}

/// An endpoint with the secret just made for it: the only time the secret is shown.
public struct IssuedWebhookSecret: Sendable, Encodable {
    public var endpoint: WebhookEndpoint
    public var secret: String

    public func encode(to encoder: any Encoder) throws {
        try endpoint.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(secret, forKey: .secret)
    }

    enum CodingKeys: String, CodingKey { case secret }
}

/// An endpoint as the admin reads it: the record and its message counts.
public struct WebhookEndpointRecord: Sendable, Encodable {
    public var endpoint: WebhookEndpoint
    public var messages: [OutboundMessageStatus: Int]

    public func count(_ status: OutboundMessageStatus) -> Int { messages[status] ?? 0 }

    public func encode(to encoder: any Encoder) throws {
        try endpoint.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(
            Dictionary(uniqueKeysWithValues: OutboundMessageStatus.allCases.map { ($0.rawValue, count($0)) }), forKey: .messages)
    }

    enum CodingKeys: String, CodingKey { case messages }
}

/// A message with its event's body.
public struct OutboundMessageRecord: Sendable, Encodable {
    public var message: OutboundMessage
    /// The exact body sent.
    public var payload: Data

    public func encode(to encoder: any Encoder) throws {
        try message.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(String(decoding: payload, as: UTF8.self), forKey: .body)
    }

    enum CodingKeys: String, CodingKey { case body }
}
