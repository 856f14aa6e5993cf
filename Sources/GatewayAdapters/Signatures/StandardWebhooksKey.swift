import Crypto
import Foundation

/// A Standard Webhooks key, told apart by the prefix the spec serialises it with, so one source
/// can hold symmetric and asymmetric keys at once (during a move from one to the other).
enum StandardWebhooksKey {
    /// `whsec_…` (or bare base64): the HMAC-SHA256 key of `v1` signatures.
    case symmetric(SymmetricKey)
    /// `whpk_…`: the ed25519 public key that verifies `v1a` signatures.
    case publicKey(Curve25519.Signing.PublicKey)
    /// `whsk_…`: the sender's ed25519 private key, which signs `v1a` (for `send` and tests). The
    /// reference library verifies with it too, through its public key.
    case privateKey(Curve25519.Signing.PrivateKey)

    /// `nil` when the text after the prefix is not base64 of a key of the right size: such a
    /// secret can match nothing.
    init?(_ secret: Secret) {
        let value = secret.value
        if value.hasPrefix("whpk_") {
            guard let bytes = Self.base64(value.dropFirst(5)), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) else {
                return nil
            }
            self = .publicKey(key)
        } else if value.hasPrefix("whsk_") {
            guard let bytes = Self.base64(value.dropFirst(5)), let key = Self.privateKey(bytes) else { return nil }
            self = .privateKey(key)
        } else {
            let text = value.hasPrefix("whsec_") ? value.dropFirst(6) : Substring(value)
            guard let bytes = Self.base64(text), !bytes.isEmpty else { return nil }
            self = .symmetric(SymmetricKey(data: bytes))
        }
    }

    /// The key that checks `v1a` signatures, if this is an asymmetric key.
    var verifyingKey: Curve25519.Signing.PublicKey? {
        switch self {
        case .symmetric: nil
        case .publicKey(let key): key
        case .privateKey(let key): key.publicKey
        }
    }

    /// Base64, padded first as the reference library does, so unpadded secrets work.
    private static func base64(_ text: Substring) -> Data? {
        var padded = String(text)
        while padded.count % 4 != 0 { padded += "=" }
        return Data(base64Encoded: padded)
    }

    /// A 32-byte seed (what the reference library writes after `whsk_`), or the 64-byte
    /// seed-and-public-key form other ed25519 libraries export, whose second half must then be
    /// the seed's own public key.
    private static func privateKey(_ bytes: Data) -> Curve25519.Signing.PrivateKey? {
        switch bytes.count {
        case 32:
            return try? Curve25519.Signing.PrivateKey(rawRepresentation: bytes)
        case 64:
            guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: bytes.prefix(32)),
                key.publicKey.rawRepresentation == bytes.suffix(32)
            else { return nil }
            return key
        default:
            return nil
        }
    }
}
