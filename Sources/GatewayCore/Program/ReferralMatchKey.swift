/// One way a customer can be tied to a referral: a vendor id names the company exactly, a
/// referral code was handed out on purpose, a domain is a good guess.
public enum ReferralMatchKey: Hashable, Sendable {
    case vendor(source: String, id: String)
    case code(String)
    case domain(String)

    /// The form stored and looked up in an index: `vendor:stripe:cus_1`, `code:acme42`,
    /// `domain:brightdental.example`. Codes and domains are case-insensitive.
    public var storageKey: String {
        switch self {
        case .vendor(let source, let id): "vendor:\(source):\(id)"
        case .code(let code): "code:\(code.lowercased())"
        case .domain(let domain): "domain:\(domain.lowercased())"
        }
    }

    /// The keys a customer reference offers; free-mail domains are left out.
    public static func candidates(for customer: CustomerReference) -> [ReferralMatchKey] {
        var keys: [ReferralMatchKey] = [.vendor(source: customer.source, id: customer.id)]
        if let code = customer.referralCode, !code.isEmpty { keys.append(.code(code)) }
        if let domain = customer.emailDomain, !FreeMailDomains.contains(domain) { keys.append(.domain(domain)) }
        return keys
    }
}

/// Mail domains shared by unrelated people, which say nothing about which company a customer is.
public enum FreeMailDomains {
    static let domains: Set<String> = [
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
        "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com",
        "gmx.com", "gmx.net", "mail.com", "zoho.com", "yandex.com", "fastmail.com", "hey.com",
    ]

    public static func contains(_ domain: String) -> Bool {
        domains.contains(domain.lowercased())
    }
}
