public import Foundation
public import GatewayCore
import Crypto

/// ConnectWise PSA callbacks: `x-content-signature` is base64 HMAC-SHA256 of the raw body, keyed
/// with SHA-256 of a signing key that ConnectWise serves at `Metadata.key_url` inside the body.
///
/// The body is not yet trusted when the URL is read, so the URL is checked before anything is
/// fetched: https only (unless a definition turns that off for a loopback test), no user info,
/// no fragment, and a host on the allow-list. Anything else is refused without a request.
public struct ConnectWiseSignatureScheme: SignatureScheme {
    public var name: String { "connectwise" }
    public var header: String
    public var keyURLPath: FieldPath
    /// `host`, `host:port`, or `*.domain` (any subdomain, never the look-alike `domain.evil`).
    public var allowedKeyHosts: [String]
    public var requireHTTPS: Bool

    public init(
        header: String = "x-content-signature", keyURLPath: FieldPath = FieldPath("Metadata.key_url"),
        allowedKeyHosts: [String] = ["*.myconnectwise.net"], requireHTTPS: Bool = true
    ) {
        self.header = header
        self.keyURLPath = keyURLPath
        self.allowedKeyHosts = allowedKeyHosts.map { $0.lowercased() }
        self.requireHTTPS = requireHTTPS
    }

    /// `secrets` are signing keys as ConnectWise serves them (fetched, or configured statically).
    public func verify(body: Data, headers: HeaderValues, secrets: [Secret], now: Date) throws(SignatureFailure) -> Verification {
        guard !secrets.isEmpty else { throw SignatureFailure(.noSecretConfigured, "no signing key is available for this source") }
        guard let value = headers[header]?.trimmingCharacters(in: .whitespaces) else {
            throw SignatureFailure(.missingHeader, "the \(header) header is missing")
        }
        guard let signature = Data(base64Encoded: value) else {
            throw SignatureFailure(.malformedHeader, "\(header) is not a base64 signature")
        }
        var matched: Int?
        for (index, secret) in secrets.enumerated() where matched == nil {
            if HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: body, using: Self.key(secret)) { matched = index }
        }
        guard let matched else { throw SignatureFailure(.noSignatureMatched, "the \(header) signature matched no signing key") }
        return Verification(scheme: name, matchedSecretIndex: matched)
    }

    public func sign(body: Data, secret: Secret, at date: Date) -> [(name: String, value: String)] {
        [(header, Data(HMAC<SHA256>.authenticationCode(for: body, using: Self.key(secret))).base64EncodedString())]
    }

    public var fetchesSigningKeys: Bool { true }

    public func keyLocation(in body: Data) throws(SignatureFailure) -> URL? {
        guard case .string(let text)? = (try? JSONValue.parse(body))?.value(at: keyURLPath) else {
            throw SignatureFailure(.keyURLNotAllowed, "the body has no \(keyURLPath) to fetch the signing key from")
        }
        guard let components = URLComponents(string: text), let host = components.host?.lowercased(), !host.isEmpty,
            let url = components.url
        else {
            throw SignatureFailure(.keyURLNotAllowed, "\(keyURLPath) is not a URL")
        }
        let scheme = components.scheme?.lowercased()
        guard scheme == "https" || (!requireHTTPS && scheme == "http") else {
            throw SignatureFailure(.keyURLNotAllowed, "the key URL must use https")
        }
        guard components.user == nil, components.password == nil, components.fragment == nil else {
            throw SignatureFailure(.keyURLNotAllowed, "the key URL must not carry user info or a fragment")
        }
        guard isAllowed(host: host, port: components.port) else {
            throw SignatureFailure(.keyURLNotAllowed, "the key URL's host \(host) is not on the allow-list; nothing was fetched")
        }
        return url
    }

    func isAllowed(host: String, port: Int?) -> Bool {
        allowedKeyHosts.contains { entry in
            if entry.hasPrefix("*.") {
                return port == nil && host.hasSuffix(String(entry.dropFirst(1))) && host.count > entry.count - 1
            }
            if let port { return entry == "\(host):\(port)" }
            return entry == host
        }
    }

    /// The HMAC key: the 32 bytes of SHA-256 of the signing key's UTF-8.
    static func key(_ signingKey: Secret) -> SymmetricKey {
        SymmetricKey(data: Data(SHA256.hash(data: signingKey.utf8)))
    }
}
