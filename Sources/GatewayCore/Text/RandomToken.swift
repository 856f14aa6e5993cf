import Foundation

/// Secrets the gateway hands out (session ids, CSRF tokens, sign-in links): bytes from the
/// system's CSPRNG, written base64url without padding so they travel in URLs and cookies as is.
public enum RandomToken {
    /// `byteCount` random bytes (32 by default: 256 bits), base64url.
    public static func make(byteCount: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<byteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
