public import Foundation
public import GatewayCore
import Crypto

/// Standard Webhooks (spec v1.0.0): `webhook-id`, `webhook-timestamp` and
/// `webhook-signature: v1,<base64> v1a,<base64> …` over `"<id>.<timestamp>." + body`, timestamps
/// accepted within ±5 minutes.
///
/// - `v1` is HMAC-SHA256 keyed with the base64-decoded secret after `whsec_`, compared in
///   constant time;
/// - `v1a` is ed25519, checked with a `whpk_` public key (a `whsk_` private key works too, as in
///   the reference library, but a receiver only needs the public one).
///
/// Svix sends the same three values as `svix-id`, `svix-timestamp` and `svix-signature`. When a
/// request carries any `webhook-*` header, the `webhook-*` set is read and the `svix-*` one
/// ignored; the two sets are never mixed.
public struct StandardWebhooksSignatureScheme: SignatureScheme {
    public var name: String { "standard_webhooks" }
    public var tolerance: TimeInterval

    /// The names of the three headers, in one of the two families senders use.
    public struct HeaderNames: Sendable, Hashable {
        public var id: String
        public var timestamp: String
        public var signature: String

        public init(prefix: String) {
            id = "\(prefix)-id"
            timestamp = "\(prefix)-timestamp"
            signature = "\(prefix)-signature"
        }

        /// The spec's own names.
        public static let standard = HeaderNames(prefix: "webhook")
        /// The names Svix (and the billing tools that send through it) use.
        public static let svix = HeaderNames(prefix: "svix")

        /// The headers a delivery id may come from, in the order the scheme reads them.
        public static let deliveryIDHeaders = [standard.id, svix.id]

        var all: [String] { [id, timestamp, signature] }
    }

    public init(tolerance: TimeInterval = 300) {
        self.tolerance = tolerance
    }

    /// The family a request uses: `webhook-*` as soon as one of its headers is present, else
    /// `svix-*` when one of those is, else `webhook-*` (so a bare request is told what the spec expects).
    public static func headerNames(in headers: HeaderValues) -> HeaderNames {
        if HeaderNames.standard.all.contains(where: { headers[$0] != nil }) { return .standard }
        if HeaderNames.svix.all.contains(where: { headers[$0] != nil }) { return .svix }
        return .standard
    }

    public func verify(body: Data, headers: HeaderValues, secrets: [Secret], now: Date) throws(SignatureFailure) -> Verification {
        guard !secrets.isEmpty else { throw SignatureFailure(.noSecretConfigured, "no signing secret is configured for this source") }
        let names = Self.headerNames(in: headers)
        guard let id = headers[names.id] else { throw SignatureFailure(.missingHeader, "the \(names.id) header is missing") }
        guard let timestampText = headers[names.timestamp] else {
            throw SignatureFailure(.missingHeader, "the \(names.timestamp) header is missing")
        }
        guard let signatureList = headers[names.signature] else {
            throw SignatureFailure(.missingHeader, "the \(names.signature) header is missing")
        }
        guard let timestamp = Int64(timestampText), !id.contains(".") else {
            throw SignatureFailure(.malformedHeader, "\(names.timestamp) must be unix seconds and \(names.id) must not contain '.'")
        }
        let signedAt = Date(timeIntervalSince1970: TimeInterval(timestamp))
        guard abs(now.timeIntervalSince(signedAt)) <= tolerance else {
            throw SignatureFailure(
                .timestampOutsideTolerance,
                "\(names.timestamp) \(timestamp) is \(Int(now.timeIntervalSince(signedAt))) s from the gateway's clock; allowed ±\(Int(tolerance)) s")
        }

        // Versions the gateway does not know (a future v2) are skipped, as the spec asks.
        var symmetric: [Data] = []
        var asymmetric: [Data] = []
        for item in signatureList.split(separator: " ") {
            let parts = item.split(separator: ",", maxSplits: 1)
            guard parts.count == 2, let signature = Data(base64Encoded: String(parts[1])) else { continue }
            switch parts[0] {
            case "v1": symmetric.append(signature)
            case "v1a": asymmetric.append(signature)
            default: continue
            }
        }
        guard !symmetric.isEmpty || !asymmetric.isEmpty else {
            throw SignatureFailure(.malformedHeader, "\(names.signature) has no v1,<base64> or v1a,<base64> entry")
        }

        let keys = secrets.map(StandardWebhooksKey.init)
        guard keys.contains(where: { $0 != nil }) else {
            // The operator's mistake, not the sender's: answered 503 so the sender retries once it is fixed.
            throw SignatureFailure(.noSecretConfigured, "no configured secret is a usable whsec_, whpk_ or whsk_ key")
        }
        let content = Data("\(id).\(timestamp).".utf8) + body
        for (index, key) in keys.enumerated() {
            guard let key, Self.matches(key, content: content, symmetric: symmetric, asymmetric: asymmetric) else { continue }
            return Verification(scheme: name, matchedSecretIndex: index, signedAt: signedAt)
        }
        let kinds = asymmetric.isEmpty ? "v1" : symmetric.isEmpty ? "v1a" : "v1 or v1a"
        throw SignatureFailure(.noSignatureMatched, "no \(kinds) signature matched a configured key")
    }

    /// Whether one of the signatures of `key`'s kind verifies `content`: HMAC codes through
    /// swift-crypto's constant-time check, ed25519 signatures with the public key.
    private static func matches(_ key: StandardWebhooksKey, content: Data, symmetric: [Data], asymmetric: [Data]) -> Bool {
        if case .symmetric(let hmacKey) = key {
            return symmetric.contains { HMAC<SHA256>.isValidAuthenticationCode($0, authenticating: content, using: hmacKey) }
        }
        guard let publicKey = key.verifyingKey else { return false }
        return asymmetric.contains { publicKey.isValidSignature($0, for: content) }
    }

    public func sign(body: Data, secret: Secret, at date: Date) -> [(name: String, value: String)] {
        let id = "msg_\(UInt64.random(in: .min ... .max))"
        return sign(body: body, secret: secret, id: id, at: date)
    }

    /// Signs with a given message id (a retry keeps its id): `v1` with a `whsec_` secret, `v1a`
    /// with a `whsk_` private key. A `whpk_` public key cannot sign, so no signature header is
    /// written (``signingRefusal(for:)`` says why).
    public func sign(body: Data, secret: Secret, id: String, at date: Date, names: HeaderNames = .standard) -> [(name: String, value: String)] {
        let timestamp = Int64(date.timeIntervalSince1970)
        let content = Data("\(id).\(timestamp).".utf8) + body
        var headers = [(names.id, id), (names.timestamp, String(timestamp))]
        func v1(_ key: SymmetricKey) -> (String, String) {
            (names.signature, "v1,\(Data(HMAC<SHA256>.authenticationCode(for: content, using: key)).base64EncodedString())")
        }
        switch StandardWebhooksKey(secret) {
        case .privateKey(let key)?:
            // swift-crypto throws only if the platform's ed25519 fails, which leaves nothing to sign with.
            if let signature = try? key.signature(for: content) {
                headers.append((names.signature, "v1a,\(Data(signature).base64EncodedString())"))
            }
        case .publicKey?:
            break
        case .symmetric(let key)?:
            headers.append(v1(key))
        case nil:
            // Not a usable key: sign with its raw bytes, so the receiver answers no_signature_matched.
            headers.append(v1(SymmetricKey(data: secret.utf8)))
        }
        return headers
    }

    public func signingRefusal(for secret: Secret) -> String? {
        if case .publicKey? = StandardWebhooksKey(secret) {
            return "a whpk_ public key only verifies; sign with the sender's whsk_ private key"
        }
        return nil
    }
}
