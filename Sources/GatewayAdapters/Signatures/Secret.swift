public import Foundation

/// A signing secret. It prints as a mask so it cannot end up in a log line or an error by accident.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret exactly as the vendor shows it (for Stripe, including `whsec_`).
    public let value: String

    public init(_ value: String) {
        self.value = value
    }

    /// The UTF-8 bytes of the secret, the key most vendors use as is.
    public var utf8: Data { Data(value.utf8) }

    public var description: String { "<secret>" }
    public var debugDescription: String { "<secret>" }

    /// Secrets from a comma-separated list (a rotation keeps the old and the new one), trimmed,
    /// empty items dropped.
    public static func list(_ commaSeparated: String) -> [Secret] {
        commaSeparated.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map(Secret.init)
    }

    /// The environment variable holding a source's secrets: `GATEWAY_STRIPE_SECRETS`.
    public static func environmentVariable(for source: String) -> String {
        "GATEWAY_\(source.uppercased().replacingOccurrences(of: "-", with: "_"))_SECRETS"
    }
}
