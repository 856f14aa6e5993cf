public import Foundation
public import GatewayCore

/// A vendor's way of signing a webhook: checked once, at ingest, on the raw bytes.
public protocol SignatureScheme: Sendable {
    /// The scheme's name in adapter definitions (`stripe`).
    var name: String { get }

    /// Checks `body` and `headers` against every configured secret.
    ///
    /// - Returns: which secret matched (by position, never its value) and when the vendor signed.
    func verify(body: Data, headers: HeaderValues, secrets: [Secret], now: Date) throws(SignatureFailure) -> Verification

    /// The headers the vendor would send for `body`: used by `referral-gateway send` and tests.
    func sign(body: Data, secret: Secret, at date: Date) -> [(name: String, value: String)]

    /// Where the signing key must be fetched from, for schemes whose key is not configured but
    /// named in the body (ConnectWise). The URL is checked against the scheme's allow-list first.
    func keyLocation(in body: Data) throws(SignatureFailure) -> URL?

    /// Whether the scheme can fetch its key (so a source without configured secrets still works).
    var fetchesSigningKeys: Bool { get }

    /// Why `secret` cannot sign for this scheme (a public key only verifies), or `nil` when it can:
    /// `send` says so instead of posting a request the gateway would refuse.
    func signingRefusal(for secret: Secret) -> String?
}

extension SignatureScheme {
    public func keyLocation(in body: Data) throws(SignatureFailure) -> URL? { nil }
    public var fetchesSigningKeys: Bool { false }
    public func signingRefusal(for secret: Secret) -> String? { nil }
}

/// Why a signature check failed. The detail never contains a secret or the body.
public struct SignatureFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, Codable {
        case noSecretConfigured = "no_secret_configured"
        case missingHeader = "missing_header"
        case malformedHeader = "malformed_header"
        case timestampOutsideTolerance = "timestamp_outside_tolerance"
        case noSignatureMatched = "no_signature_matched"
        /// The body names a signing-key URL the gateway will not fetch (host not allowed, not https…).
        case keyURLNotAllowed = "key_url_not_allowed"
        /// The signing key could not be fetched right now; the vendor should retry.
        case signingKeyUnavailable = "signing_key_unavailable"
    }

    public var code: Code
    public var detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code.rawValue): \(detail)" }
}
