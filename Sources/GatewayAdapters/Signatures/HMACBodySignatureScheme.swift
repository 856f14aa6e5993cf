public import Foundation
public import GatewayCore
import Crypto

/// An HMAC of the raw body in one header, keyed with the secret's UTF-8 bytes: QuickBooks'
/// `intuit-signature` (SHA-256, base64) and Autotask's `X-Hook-Signature: sha1=…` (SHA-1, base64).
/// No timestamp is signed, so there is no replay window; deduplication guards against replays.
public struct HMACBodySignatureScheme: SignatureScheme {
    public enum Algorithm: String, Sendable, Hashable, Codable {
        case sha256
        case sha1
    }

    public var name: String { "hmac_body" }
    public var header: String
    public var algorithm: Algorithm
    /// Text before the encoded signature (`sha1=`), or empty.
    public var prefix: String

    public init(header: String, algorithm: Algorithm, prefix: String = "") {
        self.header = header
        self.algorithm = algorithm
        self.prefix = prefix
    }

    public func verify(body: Data, headers: HeaderValues, secrets: [Secret], now: Date) throws(SignatureFailure) -> Verification {
        guard !secrets.isEmpty else { throw SignatureFailure(.noSecretConfigured, "no signing secret is configured for this source") }
        guard let value = headers[header]?.trimmingCharacters(in: .whitespaces) else {
            throw SignatureFailure(.missingHeader, "the \(header) header is missing")
        }
        guard value.hasPrefix(prefix), let signature = Data(base64Encoded: String(value.dropFirst(prefix.count))) else {
            throw SignatureFailure(.malformedHeader, "\(header) is not \(prefix.isEmpty ? "" : "\(prefix) followed by ")a base64 signature")
        }
        var matched: Int?
        for (index, secret) in secrets.enumerated() where matched == nil {
            if Self.isValid(signature, body: body, key: SymmetricKey(data: secret.utf8), algorithm: algorithm) { matched = index }
        }
        guard let matched else { throw SignatureFailure(.noSignatureMatched, "the \(header) signature matched no configured secret") }
        return Verification(scheme: name, matchedSecretIndex: matched)
    }

    public func sign(body: Data, secret: Secret, at date: Date) -> [(name: String, value: String)] {
        [(header, prefix + Self.code(body: body, key: SymmetricKey(data: secret.utf8), algorithm: algorithm).base64EncodedString())]
    }

    static func code(body: Data, key: SymmetricKey, algorithm: Algorithm) -> Data {
        switch algorithm {
        case .sha256: Data(HMAC<SHA256>.authenticationCode(for: body, using: key))
        case .sha1: Data(HMAC<Insecure.SHA1>.authenticationCode(for: body, using: key))
        }
    }

    /// Constant-time check, through swift-crypto.
    static func isValid(_ signature: Data, body: Data, key: SymmetricKey, algorithm: Algorithm) -> Bool {
        switch algorithm {
        case .sha256: HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: body, using: key)
        case .sha1: HMAC<Insecure.SHA1>.isValidAuthenticationCode(signature, authenticating: body, using: key)
        }
    }
}
