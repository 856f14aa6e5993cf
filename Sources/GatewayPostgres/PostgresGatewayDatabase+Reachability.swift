import Foundation
import GatewayCore
import Logging
import PostgresNIO

extension PostgresGatewayDatabase {
    /// Proves, before anything else, that PostgreSQL takes a connection with the URL's login,
    /// with one direct connection (not through the pool, which keeps retrying any failure for
    /// about a minute and then gives up with a bare error).
    ///
    /// What cannot get better by waiting (nothing listening, a refused login, no such database)
    /// fails at once, with PostgreSQL's or the network's reason. What can (a server starting up or
    /// out of connection slots, a slow answer under load) is tried again until `limit`: a working
    /// server on a loaded machine may take long to let a connection in.
    ///
    /// - Throws: `GatewayError.refused`, in a sentence that names the server without the password.
    public func checkReachable(within limit: Duration = .seconds(60)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while true {
            let remaining = clock.now.duration(to: deadline)
            // Each try may take what is left, at most 10 s (the pool's own connect timeout), so a
            // server that dropped one try's packets gets another.
            guard let failure = await probe(timeout: min(.seconds(10), max(.milliseconds(100), remaining))) else { return }
            guard failure.transient else {
                throw GatewayError.refused("PostgreSQL at \(location) cannot be used: \(failure.reason)")
            }
            guard clock.now.duration(to: deadline) > .milliseconds(500) else {
                throw GatewayError.refused(
                    "PostgreSQL at \(location) did not take a connection within \(limit.components.seconds) s; the last try: \(failure.reason)")
            }
            logger.notice("PostgreSQL is not taking connections yet; trying again", metadata: ["location": "\(location)", "reason": "\(failure.reason)"])
            try await Task.sleep(for: .milliseconds(500))
        }
    }

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
