import Crypto
import Foundation

/// Comparisons whose duration does not depend on where two values first differ.
public enum ConstantTime {
    /// Whether `candidate` equals any of `accepted`; used for admin bearer tokens.
    public static func matchesAny(_ candidate: String, _ accepted: [Secret]) -> Bool {
        firstMatch(candidate, accepted) != nil
    }

    /// The position of the first of `accepted` that equals `candidate`. Every entry is compared,
    /// through SHA-256 digests (whose `==` is constant-time in swift-crypto), so neither the
    /// lengths nor which entry matched show in the time taken.
    public static func firstMatch(_ candidate: String, _ accepted: [Secret]) -> Int? {
        let digest = SHA256.hash(data: Data(candidate.utf8))
        var matched: Int?
        for (index, secret) in accepted.enumerated() where SHA256.hash(data: secret.utf8) == digest && matched == nil {
            matched = index
        }
        return matched
    }
}
