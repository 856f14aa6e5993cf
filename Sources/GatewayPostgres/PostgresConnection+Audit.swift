import Foundation
import GatewayRepositories
import Logging
import PostgresNIO

extension PostgresConnection {
    /// One line of the audit trail, written in the caller's transaction so it lands with the change
    /// it records.
    func audit(_ action: String, subject: String, detail: [String: String], at now: Date, logger: Logger) async throws {
        try await execute(
            "INSERT INTO audit_log (at, action, subject, detail) VALUES (\(now), \(action), \(subject), \(try ColumnJSON.text(detail)))",
            logger: logger)
    }
}
