/// Who a vendor says the customer is: the source system and its id, plus what helps match the
/// customer to a referral (email, company name, a referral code carried in vendor metadata).
public struct CustomerReference: Hashable, Sendable, Codable {
    /// The source that named this customer (`stripe`, `quickbooks`, …).
    public var source: String
    /// The customer's id in that source (`cus_…`).
    public var id: String
    public var email: String?
    public var name: String?
    /// A referral code found in the vendor's customer or subscription metadata.
    public var referralCode: String?

    public init(source: String, id: String, email: String? = nil, name: String? = nil, referralCode: String? = nil) {
        self.source = source
        self.id = id
        self.email = email
        self.name = name
        self.referralCode = referralCode
    }

    /// The lower-cased domain of `email`, if it has one.
    public var emailDomain: String? {
        guard let email, let at = email.lastIndex(of: "@") else { return nil }
        let domain = email[email.index(after: at)...].lowercased()
        return domain.isEmpty ? nil : domain
    }

    enum CodingKeys: String, CodingKey {
        case source, id, email, name
        case referralCode = "referral_code"
    }
}
