import Foundation
import GatewayCore
import Logging
import PostgresNIO

extension PostgresGatewayDatabase {
    /// One direct connection attempt with the pool's server, login, TLS and schema, closed at once.
    ///
    /// - Returns: why it failed, or nil when PostgreSQL took the connection.
    func probe(timeout: Duration) async -> PostgresConnectFailure? {
        var configuration = probeConfiguration
        configuration.options.connectTimeout = .nanoseconds(Int64(timeout.seconds * 1e9))
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            try? await connection.close()
            return nil
        } catch {
            return PostgresConnectFailure(error)
        }
    }
}

extension Duration {
    /// The duration in seconds, with its fraction.
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
