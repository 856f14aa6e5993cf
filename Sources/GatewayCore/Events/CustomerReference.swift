/// Who a vendor says the customer is: the source system and its id, plus what helps match the
/// customer to a referral (email, company name, a referral code carried in vendor metadata).
public struct CustomerReference: Hashable, Sendable, Codable {
    /// The source that named this customer (`stripe`, `quickbooks`, …).
    public var source: String
    /// The customer's id in that source (`cus_…`).
    public var id: String
    public var email: String?
    /// The company's web domain when the vendor gives one instead of an email (a PSA company record).
    public var domain: String?
    public var name: String?
    /// A referral code found in the vendor's customer or subscription metadata.
    public var referralCode: String?

    public init(
        source: String, id: String, email: String? = nil, domain: String? = nil, name: String? = nil, referralCode: String? = nil
    ) {
        self.source = source
        self.id = id
        self.email = email
        self.domain = domain
        self.name = name
        self.referralCode = referralCode
    }

    /// The company domain to match on: `domain`, else the lower-cased domain of `email`.
    public var emailDomain: String? {
        if let domain, !domain.isEmpty { return domain.lowercased() }
        guard let email, let at = email.lastIndex(of: "@") else { return nil }
        let domain = email[email.index(after: at)...].lowercased()
        return domain.isEmpty ? nil : domain
    }

    enum CodingKeys: String, CodingKey {
        case source, id, email, domain, name
        case referralCode = "referral_code"
    }
}
