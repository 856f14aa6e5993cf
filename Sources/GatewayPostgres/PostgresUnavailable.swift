import Foundation

/// PostgreSQL cannot be used now: no pooled connection came and the server cannot be reached
/// (down, the network cut, the login refused), or the connection a statement was to run on is
/// closed. What the statement would have written was not; the caller answers so that the
/// work is tried again (a webhook: 503 with `Retry-After`).
public struct PostgresUnavailable: Error, Sendable, CustomStringConvertible {
    /// What happened, naming the server without its password.
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    /// No pooled connection came, and a direct attempt said why.
    static func unreachable(location: String, reason: String) -> Self {
        Self("PostgreSQL at \(location) cannot be reached: \(reason)")
    }

    /// The connection had been closed (by the server, or the network) before the statement.
    static let connectionClosed = Self("the connection to PostgreSQL is closed")

    public var description: String { reason }
}
