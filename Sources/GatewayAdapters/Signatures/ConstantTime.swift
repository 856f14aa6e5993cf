import Crypto
import Foundation

/// Comparisons whose duration does not depend on where two values first differ.
public enum ConstantTime {
    /// Whether `candidate` equals any of `accepted`. Every entry is compared, through SHA-256
    /// digests so different lengths take the same time; used for admin bearer tokens.
    public static func matchesAny(_ candidate: String, _ accepted: [Secret]) -> Bool {
        let digest = SHA256.hash(data: Data(candidate.utf8))
        var matched = false
        for secret in accepted where SHA256.hash(data: secret.utf8) == digest {
            matched = true
        }
        return matched
    }
}
