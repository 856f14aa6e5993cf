public import Foundation
public import GatewayCore
import Crypto

/// Standard Webhooks v1: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64> …`,
/// HMAC-SHA256 over `"<id>.<timestamp>." + body`, keyed with the base64-decoded secret after
/// `whsec_`, timestamps accepted within ±5 minutes.
public struct StandardWebhooksSignatureScheme: SignatureScheme {
    public var name: String { "standard_webhooks" }
    public var tolerance: TimeInterval

    public init(tolerance: TimeInterval = 300) {
        self.tolerance = tolerance
    }

    public func verify(body: Data, headers: HeaderValues, secrets: [Secret], now: Date) throws(SignatureFailure) -> Verification {
        guard !secrets.isEmpty else { throw SignatureFailure(.noSecretConfigured, "no signing secret is configured for this source") }
        guard let id = headers["webhook-id"] else { throw SignatureFailure(.missingHeader, "the webhook-id header is missing") }
        guard let timestampText = headers["webhook-timestamp"] else {
            throw SignatureFailure(.missingHeader, "the webhook-timestamp header is missing")
        }
        guard let signatureList = headers["webhook-signature"] else {
            throw SignatureFailure(.missingHeader, "the webhook-signature header is missing")
        }
        guard let timestamp = Int64(timestampText), !id.contains(".") else {
            throw SignatureFailure(.malformedHeader, "webhook-timestamp must be unix seconds and webhook-id must not contain '.'")
        }
        let signedAt = Date(timeIntervalSince1970: TimeInterval(timestamp))
        guard abs(now.timeIntervalSince(signedAt)) <= tolerance else {
            throw SignatureFailure(
                .timestampOutsideTolerance,
                "webhook-timestamp \(timestamp) is \(Int(now.timeIntervalSince(signedAt))) s from the gateway's clock; allowed ±\(Int(tolerance)) s")
        }
        let signatures = signatureList.split(separator: " ").compactMap { item -> Data? in
            let parts = item.split(separator: ",", maxSplits: 1)
            guard parts.count == 2, parts[0] == "v1" else { return nil }
            return Data(base64Encoded: String(parts[1]))
        }
        guard !signatures.isEmpty else { throw SignatureFailure(.malformedHeader, "webhook-signature has no v1,<base64> entry") }

        let content = Data("\(id).\(timestamp).".utf8) + body
        var matched: Int?
        for (index, secret) in secrets.enumerated() where matched == nil {
            guard let key = Self.key(from: secret) else { continue }
            for signature in signatures where HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: content, using: key) {
                matched = index
            }
        }
        guard let matched else { throw SignatureFailure(.noSignatureMatched, "no v1 signature matched a configured secret") }
        return Verification(scheme: name, matchedSecretIndex: matched, signedAt: signedAt)
    }

    public func sign(body: Data, secret: Secret, at date: Date) -> [(name: String, value: String)] {
        let id = "msg_\(UInt64.random(in: .min ... .max))"
        return sign(body: body, secret: secret, id: id, at: date)
    }

    /// Signs with a given message id (a retry keeps its id).
    public func sign(body: Data, secret: Secret, id: String, at date: Date) -> [(name: String, value: String)] {
        let timestamp = Int64(date.timeIntervalSince1970)
        let key = Self.key(from: secret) ?? SymmetricKey(data: secret.utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(id).\(timestamp).".utf8) + body, using: key)
        return [("webhook-id", id), ("webhook-timestamp", String(timestamp)), ("webhook-signature", "v1,\(Data(mac).base64EncodedString())")]
    }

    /// The HMAC key: base64 after `whsec_`, padded as the reference library does.
    static func key(from secret: Secret) -> SymmetricKey? {
        var text = secret.value.hasPrefix("whsec_") ? String(secret.value.dropFirst(6)) : secret.value
        while text.count % 4 != 0 { text += "=" }
        return Data(base64Encoded: text).map { SymmetricKey(data: $0) }
    }
}
