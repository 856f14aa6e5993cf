public import GatewayCore

/// What a CSV import brings in, and the columns each kind's file has. Header names are matched
/// case-insensitively; a column not listed is refused by name.
public enum ImportKind: String, Sendable, CaseIterable, Codable {
    case partners, referrals, outbound, reviews

    /// Columns every row must fill.
    public var requiredColumns: [String] {
        switch self {
        case .partners: ["name", "kind"]
        case .referrals: ["partner", "prospect", "plan"]
        case .outbound: ["partner", "client", "sent_on"]
        case .reviews: ["client", "reviewed_on", "outcome"]
        }
    }

    /// Columns a file may have and a row may leave empty.
    public var optionalColumns: [String] {
        switch self {
        case .partners: ["specialty", "email", "payout_form", "domains"]
        case .referrals: ["domains", "emails", "vendor_ids", "referral_code", "introduced_on", "status", "lost_reason"]
        case .outbound: ["monthly_value", "currency"]
        case .reviews: ["note"]
        }
    }

    public var columns: [String] { requiredColumns + optionalColumns }

    /// The kind `name` names, as the API's path and the console's form give it.
    public init(named name: String) throws(GatewayError) {
        guard let kind = ImportKind(rawValue: name) else {
            throw .invalid("kind must be one of \(ImportKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = kind
    }
}
