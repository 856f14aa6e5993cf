import Foundation
import GatewayAdapters
import GatewayCore

/// What a scheme makes of a request, as a value tests can compare: the position of the secret
/// that matched, or the failure.
func schemeOutcome(
    _ scheme: some SignatureScheme, body: Data, headers: [(String, String)], secrets: [Secret], now: Date
) -> Result<Int, SignatureFailure> {
    Result { () throws(SignatureFailure) in
        try scheme.verify(body: body, headers: HeaderValues(headers), secrets: secrets, now: now).matchedSecretIndex
    }
}

/// The failure's code, or `nil` when the request was accepted.
func code(_ result: Result<Int, SignatureFailure>) -> SignatureFailure.Code? {
    if case .failure(let failure) = result { return failure.code }
    return nil
}
