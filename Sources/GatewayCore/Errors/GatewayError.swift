/// A request the gateway refused, with a code the HTTP edge maps to one status wherever it is
/// answered (the admin API, the reports and the console alike), and a sentence for people.
///
/// Modelled on swift-certificates' `CertificateError`: a small struct, not an enum per cause, so
/// new causes add messages, not cases every caller must switch over.
public struct GatewayError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// An input that does not follow the rules (an empty name, a rate above 100 %).
        public static let invalid = Code(rawValue: "invalid_field")
        /// Something the request names (in its path or its body) does not exist.
        public static let notFound = Code(rawValue: "not_found")
        /// The write would break a uniqueness rule (a plan name taken).
        public static let conflict = Code(rawValue: "conflict")
        /// The program's rules forbid it (a self-referral, paying a paid payout, nothing payable).
        public static let refused = Code(rawValue: "refused")

        public var description: String { rawValue }
    }

    public var code: Code
    public var message: String
    /// The input field at fault, when one is (`prospect_name`), so a form shows the sentence
    /// beside it and the API names it.
    public var field: String?

    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public static func invalid(_ message: String, field: String? = nil) -> GatewayError { GatewayError(.invalid, message, field: field) }
    public static func notFound(_ message: String) -> GatewayError { GatewayError(.notFound, message) }
    public static func conflict(_ message: String) -> GatewayError { GatewayError(.conflict, message) }
    public static func refused(_ message: String) -> GatewayError { GatewayError(.refused, message) }

    public var description: String { "\(code.rawValue): \(message)" }
}
