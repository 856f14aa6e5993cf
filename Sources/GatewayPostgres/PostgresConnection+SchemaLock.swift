import Logging
import PostgresNIO

/// The transaction-level advisory locks the gateway takes, each scoped to the schema it works in:
/// advisory locks are per database, and gateways (or tests) in other schemas of the same database
/// must never wait for each other's migrations or recomputations.
enum SchemaLock: Int32 {
    /// Instances starting together migrate once; the others wait, then find nothing to do.
    case migration = 1
    /// Recomputations run one at a time, so each reads what the one before it committed.
    case recomputation = 2
}

extension PostgresConnection {
    /// Takes `lock` for this schema until the current transaction ends.
    func take(_ lock: SchemaLock, logger: Logger) async throws {
        try await execute("SELECT pg_advisory_xact_lock(hashtext(current_schema()), \(lock.rawValue))", logger: logger)
    }
}
