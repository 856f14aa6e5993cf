/// The signature part of an adapter definition: a known scheme and its parameters.
public struct SignatureDefinition: Sendable, Hashable, Decodable {
    public var scheme: String
    public var header: String?
    public var toleranceSeconds: Int?
    public var futureToleranceSeconds: Int?
    /// `hmac_body`: `sha256` or `sha1`.
    public var algorithm: HMACBodySignatureScheme.Algorithm?
    /// `hmac_body`: text before the base64 signature (`sha1=`).
    public var prefix: String?
    /// `connectwise`: where the signing-key URL is in the body.
    public var keyURLPath: String?
    /// `connectwise`: hosts the signing key may be fetched from.
    public var allowedKeyHosts: [String]?
    /// `connectwise`: refuse plain-http key URLs (default true; a loopback test may turn it off).
    public var requireHTTPS: Bool?
    /// `shared_credential`: how the credential may be presented (`basic`, `bearer`; both by default).
    public var accept: [SharedCredentialScheme.Kind]?

    private enum CodingKeys: String, CodingKey {
        case scheme, header, algorithm, prefix, accept
        case toleranceSeconds = "tolerance_seconds"
        case futureToleranceSeconds = "future_tolerance_seconds"
        case keyURLPath = "key_url_path"
        case allowedKeyHosts = "allowed_key_hosts"
        case requireHTTPS = "require_https"
    }

    /// The Swift implementation of the named scheme, with this definition's parameters.
    func makeScheme() throws(AdapterDefinitionError) -> any SignatureScheme {
        switch scheme {
        case "stripe":
            var stripe = StripeSignatureScheme()
            if let header { stripe.header = header }
            if let toleranceSeconds { stripe.tolerance = Double(toleranceSeconds) }
            if let futureToleranceSeconds { stripe.futureTolerance = Double(futureToleranceSeconds) }
            return stripe
        case "hmac_body":
            guard let header, let algorithm else {
                throw AdapterDefinitionError(field: "signature", message: "hmac_body needs header and algorithm (sha256 or sha1)")
            }
            return HMACBodySignatureScheme(header: header, algorithm: algorithm, prefix: prefix ?? "")
        case "poller":
            return PollerScheme()
        case "standard_webhooks":
            return StandardWebhooksSignatureScheme(tolerance: Double(toleranceSeconds ?? 300))
        case "connectwise":
            var connectwise = ConnectWiseSignatureScheme()
            if let header { connectwise.header = header }
            if let keyURLPath { connectwise.keyURLPath = FieldPath(keyURLPath) }
            if let allowedKeyHosts { connectwise.allowedKeyHosts = allowedKeyHosts.map { $0.lowercased() } }
            if let requireHTTPS { connectwise.requireHTTPS = requireHTTPS }
            return connectwise
        case "shared_credential":
            if let accept, accept.isEmpty {
                throw AdapterDefinitionError(field: "signature.accept", message: "names no way to present the credential (basic, bearer)")
            }
            return SharedCredentialScheme(header: header ?? "Authorization", accepted: Set(accept ?? SharedCredentialScheme.Kind.allCases))
        default:
            throw AdapterDefinitionError(
                field: "signature.scheme",
                message: "unknown scheme \(scheme); known: stripe, hmac_body, standard_webhooks, connectwise, shared_credential, poller")
        }
    }
}
