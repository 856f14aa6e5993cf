public import Foundation
public import GatewayCore

/// For vendors that sign nothing and authenticate their webhook with a credential set on it
/// (HaloPSA): `Authorization: Basic base64(user:password)` or `Authorization: Bearer <token>`,
/// compared in constant time with every configured credential.
///
/// A configured credential that contains `:` is a Basic `user:password` pair; one without is a
/// bearer token. Neither a Basic user id nor a bearer token may contain `:`, so one credential
/// can never be accepted through the other kind. Nothing is signed: a credential proves who sent
/// the request, not that its body is intact, and there is no timestamp, so deduplication guards
/// against replays and TLS must carry the request.
public struct SharedCredentialScheme: SignatureScheme {
    /// The two ways a vendor can present the credential.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case basic
        case bearer
    }

    public var name: String { "shared_credential" }
    public var header: String
    public var accepted: Set<Kind>

    public init(header: String = "Authorization", accepted: Set<Kind> = [.basic, .bearer]) {
        self.header = header
        self.accepted = accepted
    }

    public func verify(body: Data, headers: HeaderValues, secrets: [Secret], now: Date) throws(SignatureFailure) -> Verification {
        guard !secrets.isEmpty else { throw SignatureFailure(.noSecretConfigured, "no credential is configured for this source") }
        guard let value = headers[header] else { throw SignatureFailure(.missingHeader, "the \(header) header is missing") }
        let credential = try presented(value)
        // A Basic pair always holds ':' and a token never does, so each only ever equals a
        // configured credential of its own kind.
        guard let matched = ConstantTime.firstMatch(credential.text, secrets) else {
            throw SignatureFailure(.noSignatureMatched, "the \(header) \(credential.kind.rawValue) credential matched no configured credential")
        }
        return Verification(scheme: name, matchedSecretIndex: matched)
    }

    /// The credential in the header and how it was presented; the error never repeats it.
    private func presented(_ value: String) throws(SignatureFailure) -> (kind: Kind, text: String) {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: " ", maxSplits: 1)
        let expected = Kind.allCases.filter(accepted.contains).map { $0 == .basic ? "Basic" : "Bearer" }.joined(separator: " or ")
        // The authentication scheme's name is case-insensitive (RFC 9110 §11.1).
        guard parts.count == 2, let kind = Kind(rawValue: parts[0].lowercased()), accepted.contains(kind) else {
            throw SignatureFailure(.malformedHeader, "\(header) must be \(expected) credentials")
        }
        let rest = parts[1].trimmingCharacters(in: .whitespaces)
        switch kind {
        case .bearer:
            guard !rest.isEmpty, !rest.contains(":") else { throw SignatureFailure(.malformedHeader, "\(header) has an empty or malformed bearer token") }
            return (.bearer, rest)
        case .basic:
            guard let decoded = Data(base64Encoded: rest), let text = String(data: decoded, encoding: .utf8), text.contains(":") else {
                throw SignatureFailure(.malformedHeader, "\(header) Basic credentials must be base64 of user:password")
            }
            return (.basic, text)
        }
    }

    /// `user:password` or a bearer token, by the presence of `:`.
    static func kind(of secret: Secret) -> Kind {
        secret.value.contains(":") ? .basic : .bearer
    }

    public func sign(body: Data, secret: Secret, at date: Date) -> [(name: String, value: String)] {
        switch Self.kind(of: secret) {
        case .basic: [(header, "Basic \(secret.utf8.base64EncodedString())")]
        case .bearer: [(header, "Bearer \(secret.value)")]
        }
    }

    public func signingRefusal(for secret: Secret) -> String? {
        let kind = Self.kind(of: secret)
        return accepted.contains(kind) ? nil : "this source does not accept \(kind.rawValue) credentials"
    }
}
