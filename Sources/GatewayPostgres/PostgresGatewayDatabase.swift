import Foundation
import GatewayCore
public import Logging
public import PostgresNIO

/// One PostgreSQL database (and schema) the gateway's repositories read and write, through a
/// `PostgresClient` connection pool.
///
/// The pool only hands out connections while `run()` is active: the caller runs it in a task (or
/// adds `client` to its `ServiceGroup`, since `PostgresClient` is a service) for as long as the
/// repositories are used, and cancels it to close the pool.
public final class PostgresGatewayDatabase: Sendable {
    /// The connection pool.
    public let client: PostgresClient
    /// Where the data is, for logs and messages: `postgres://user@host:port/db`, never the password.
    public let location: String
    let logger: Logger

    /// A pool on the database named by `url` (`postgres://user:password@host:port/database`, with an
    /// optional `?sslmode=disable|prefer|require`, `disable` when absent, as for a server on the
    /// same host or private network; and an optional `schema=NAME`).
    ///
    /// - Parameters:
    ///   - schema: the schema every connection works in (its `search_path`); the URL's `schema`
    ///     when nil, else `public`. Tests give each run its own.
    ///   - maximumConnections: the most connections this pool opens.
    public init(url: String, schema: String? = nil, maximumConnections: Int = 20, logger: Logger) throws {
        let address = try PostgresAddress(url)
        var configuration = PostgresClient.Configuration(
            host: address.host, port: address.port, username: address.username, password: address.password, database: address.database,
            tls: address.tls)
        configuration.options.maximumConnections = max(1, maximumConnections)
        let schema = schema ?? address.schema
        if let schema {
            // A startup parameter, so every connection the pool opens works in the schema without a
            // statement of its own.
            configuration.options.additionalStartupParameters = [("search_path", schema)]
        }
        // The pool's own log is kept to errors: it warns when asked for a connection in the instant
        // before its `run()` task starts, which a command that opens the store and at once reads
        // always does (the request waits and is served). What goes wrong in a query is thrown.
        var background = logger
        background.logLevel = max(logger.logLevel, .error)
        client = PostgresClient(configuration: configuration, backgroundLogger: background)
        location = address.location + (schema.map { " (schema \($0))" } ?? "")
        self.logger = logger
    }

    /// Runs the pool until the calling task is cancelled.
    public func run() async {
        await client.run()
    }

    /// Runs `body` on one connection inside a transaction: committed when it returns, rolled back
    /// when it throws (the error it threw is rethrown as it is).
    func transaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await client.withConnection { connection in
            try await connection.execute("BEGIN", logger: logger)
            do {
                let result = try await body(connection)
                try await connection.execute("COMMIT", logger: logger)
                return result
            } catch {
                _ = try? await connection.execute("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// Runs `body`'s reads in one read-only `REPEATABLE READ` transaction: every statement sees the
    /// database as of the first, whatever other instances commit meanwhile.
    func snapshot<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await client.withConnection { connection in
            try await connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                let result = try await body(connection)
                try await connection.execute("COMMIT", logger: logger)
                return result
            } catch {
                _ = try? await connection.execute("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// Runs one statement outside any transaction of the caller's, reading every row it returns.
    @discardableResult
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await client.withConnection { connection in
            try await connection.query(query, logger: logger).collect()
        }
    }

    /// Runs one statement for its effect.
    func execute(_ query: PostgresQuery) async throws {
        try await rows(query)
    }
}

extension PostgresConnection {
    /// Runs one statement and reads its rows to the end (an error that comes after the first row
    /// is thrown here, not lost).
    @discardableResult
    func execute(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await self.query(query, logger: logger).collect()
    }
}

/// A `postgres://` URL taken apart.
struct PostgresAddress: Sendable {
    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String?
    var tls: PostgresClient.Configuration.TLS
    /// The schema the gateway's tables are in (`?schema=`), when not `public`.
    var schema: String?

    /// The URL without its password.
    var location: String {
        "postgres://\(username)@\(host):\(port)/\(database ?? "")"
    }

    init(_ url: String) throws {
        guard let components = URLComponents(string: url), components.scheme == "postgres" || components.scheme == "postgresql",
            let host = components.host, !host.isEmpty, let username = components.user, !username.isEmpty
        else {
            throw GatewayError.invalid("a PostgreSQL database is named by postgres://user:password@host:port/database", field: "database")
        }
        self.host = host
        port = components.port ?? 5432
        self.username = username.removingPercentEncoding ?? username
        password = components.password.map { $0.removingPercentEncoding ?? $0 }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? nil : path
        schema = components.queryItems?.first(where: { $0.name == "schema" })?.value.flatMap { $0.isEmpty ? nil : $0 }
        if let schema, !schema.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
            throw GatewayError.invalid("schema \(schema) must be letters, digits and underscores", field: "database")
        }
        switch components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable" {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        case let other: throw GatewayError.invalid("sslmode \(other) is not one of disable, prefer, require", field: "database")
        }
    }
}
