/// Where a source's delivery id comes from, so a vendor's retry is stored once:
///
/// - a field of the body (`id`, Stripe's `evt_…`), written like any field; a `join` of several
///   fields serves vendors without an event id (Autotask);
/// - a header: `{ header: webhook-id }`, or the first present of several:
///   `{ header: [webhook-id, svix-id] }` (Standard Webhooks, sent under either family of names);
/// - `{ body_digest: true }`: `sha256:` and the hex digest of the body (QuickBooks, whose retries
///   resend the same bytes).
public enum DeliveryIDSpec: Sendable, Hashable {
    case field(FieldSpec)
    /// Header names, the first present giving the id.
    case header([String])
    case bodyDigest
}

extension DeliveryIDSpec: Decodable {
    private enum CodingKeys: String, CodingKey {
        case header
        case bodyDigest = "body_digest"
    }

    public init(from decoder: any Decoder) throws {
        if let container = try? decoder.container(keyedBy: CodingKeys.self) {
            if let names = try? container.decodeIfPresent([String].self, forKey: .header) {
                guard !names.isEmpty else {
                    throw DecodingError.dataCorruptedError(forKey: .header, in: container, debugDescription: "names no header")
                }
                self = .header(names)
                return
            }
            if let name = try container.decodeIfPresent(String.self, forKey: .header) {
                self = .header([name])
                return
            }
            if try container.decodeIfPresent(Bool.self, forKey: .bodyDigest) == true {
                self = .bodyDigest
                return
            }
        }
        self = .field(try FieldSpec(from: decoder))
    }
}
