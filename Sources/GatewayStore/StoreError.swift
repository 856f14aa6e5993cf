/// A write the store refused, with a code the HTTP layer maps to a status.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// Something the request refers to does not exist.
        case notFound = "not_found"
        /// The write would break a uniqueness rule (a plan name taken, a referral code in use).
        case conflict
        /// The program's rules forbid it (a self-referral, a payout of a paid line).
        case refused
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
