/// The signature part of an adapter definition: a known scheme and its parameters.
public struct SignatureDefinition: Sendable, Hashable, Decodable {
    public var scheme: String
    public var header: String?
    public var toleranceSeconds: Int?
    public var futureToleranceSeconds: Int?

    private enum CodingKeys: String, CodingKey {
        case scheme, header
        case toleranceSeconds = "tolerance_seconds"
        case futureToleranceSeconds = "future_tolerance_seconds"
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
        default:
            throw AdapterDefinitionError(field: "signature.scheme", message: "unknown scheme \(scheme); known: stripe")
        }
    }
}
