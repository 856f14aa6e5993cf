/// `POST /admin/webhook-endpoints`, `webhooks endpoints add` and the console's form.
public struct WebhookEndpointInput: Sendable, Decodable {
    /// Where events are posted: an `http` or `https` address.
    public var url: String?
    /// The event types it receives (`referral.signed`, …); none or empty means every type.
    public var events: [String]?
    /// What it is, for the admin.
    public var description: String?

    public init(url: String?, events: [String]? = nil, description: String? = nil) {
        self.url = url
        self.events = events
        self.description = description
    }
}

/// `POST /admin/webhook-endpoints/{id}/rotate`.
public struct SecretRotationInput: Sendable, Decodable {
    /// How long the current secret keeps signing beside the new one; the gateway's default when absent.
    public var overlapHours: Double?

    public init(overlapHours: Double? = nil) {
        self.overlapHours = overlapHours
    }

    enum CodingKeys: String, CodingKey {
        case overlapHours = "overlap_hours"
    }
}
