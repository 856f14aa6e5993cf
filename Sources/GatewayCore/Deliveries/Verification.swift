public import Foundation

/// A successful signature check at ingest, stored beside the delivery. A replay never checks
/// again (old timestamps would fail); this record stands.
public struct Verification: Sendable, Hashable, Codable {
    public var scheme: String
    /// Position in the configured secret list (0 = first) of the secret that matched.
    public var matchedSecretIndex: Int
    /// The timestamp the vendor signed, for schemes that sign one.
    public var signedAt: Date?

    public init(scheme: String, matchedSecretIndex: Int, signedAt: Date? = nil) {
        self.scheme = scheme
        self.matchedSecretIndex = matchedSecretIndex
        self.signedAt = signedAt
    }

    enum CodingKeys: String, CodingKey {
        case scheme
        case matchedSecretIndex = "matched_secret_index"
        case signedAt = "signed_at"
    }
}

