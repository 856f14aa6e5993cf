import Foundation
import GatewayCore
public import Logging
import Synchronization
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
    /// How long a statement waits for a pooled connection before the server is asked whether it
    /// can be reached at all (and again after each such wait).
    public let connectionWait: Duration
    /// The direct connection attempt waiters share.
    let probes = SharedProbe()
    let logger: Logger
    /// What the start-up probe connects with: the pool's server, login, TLS and schema.
    let probeConfiguration: PostgresConnection.Configuration

    /// A pool on the database named by `url` (`postgres://user:password@host:port/database`, with an
    /// optional `?sslmode=disable|prefer|require`, `disable` when absent, as for a server on the
    /// same host or private network; and an optional `schema=NAME`).
    ///
    /// - Parameters:
    ///   - schema: the schema every connection works in (its `search_path`); the URL's `schema`
    ///     when nil, else `public`. Tests give each run its own.
    ///   - maximumConnections: the most connections this pool opens.
    ///   - connectionWait: how long a statement waits for a connection before PostgreSQL is asked
    ///     directly whether it can be reached (`withConnection`). While it cannot, the pool would
    ///     keep requests waiting for about a minute; a webhook must be answered 503 long before,
    ///     so the vendor retries.
    public init(url: String, schema: String? = nil, maximumConnections: Int = 20, connectionWait: Duration = .seconds(2), logger: Logger) throws {
        let address = try PostgresAddress(url)
        var configuration = PostgresClient.Configuration(
            host: address.host, port: address.port, username: address.username, password: address.password, database: address.database,
            tls: address.clientTLS)
        configuration.options.maximumConnections = max(1, maximumConnections)
        var probe = PostgresConnection.Configuration(
            host: address.host, port: address.port, username: address.username, password: address.password, database: address.database,
            tls: try address.connectionTLS())
        let schema = schema ?? address.schema
        if let schema {
            // A startup parameter, so every connection the pool opens works in the schema without a
            // statement of its own.
            configuration.options.additionalStartupParameters = [("search_path", schema)]
            probe.options.additionalStartupParameters = [("search_path", schema)]
        }
        probeConfiguration = probe
        self.connectionWait = connectionWait
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

    /// Runs `body` on a pooled connection, waiting for one only as long as PostgreSQL can be
    /// reached.
    ///
    /// While the pool cannot connect it keeps requests waiting for about a minute (then fails
    /// every request at once while its circuit breaker is open); a webhook or `/readyz` must answer
    /// long before. So a wait longer than `connectionWait` asks the server directly, with one
    /// connection attempt shared by every waiter: when nothing listens, the network is cut, or the
    /// server refuses or does not answer, the wait ends with `PostgresUnavailable`; when the server
    /// takes the connection, or is only out of connection slots (a busy server on a loaded
    /// machine), the wait goes on and is asked again after another `connectionWait`. Once `body`
    /// has the connection it runs to its end.
    ///
    /// - Throws: `PostgresUnavailable` when PostgreSQL cannot be reached; the pool's error when it
    ///   refused the request; what `body` throws.
    public func withConnection<Result>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        // The lease is held by a child task, which hands the connection over and keeps it until
        // `body` is done: the pool's API leases only for a closure, and that closure cannot be
        // abandoned while it waits, but its task can be cancelled.
        let (leased, handOver) = AsyncThrowingStream.makeStream(of: PostgresConnection.self)
        let done = Signal()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [client] in
                do {
                    try await client.withConnection { connection in
                        // Too late (the caller gave up): the connection goes straight back.
                        guard case .enqueued = handOver.yield(connection) else { return }
                        handOver.finish()
                        // Not a cancellable wait: the connection is in use until `body` returns.
                        await done.wait()
                    }
                } catch {
                    handOver.finish(throwing: error)
                }
            }
            let watch = Task {
                while true {
                    try await Task.sleep(for: connectionWait)
                    // The pool's own connect timeout: on a loaded machine a working server's
                    // connection can take seconds to be taken, and that is no outage.
                    guard let failure = await probes.run({ await self.probe(timeout: .seconds(10)) }), !failure.serverBusy else { continue }
                    handOver.finish(throwing: PostgresUnavailable.unreachable(location: location, reason: failure.reason))
                    return
                }
            }
            defer {
                watch.cancel()
                done.signal()
            }
            var connections = leased.makeAsyncIterator()
            guard let connection = try await connections.next() else { throw CancellationError() }
            watch.cancel()
            return try await body(connection)
        }
    }

    /// Runs `body` on one connection inside a transaction: committed when it returns, rolled back
    /// when it throws (the error it threw is rethrown as it is).
    func transaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await withConnection { connection in
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
        try await withConnection { connection in
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
        try await withConnection { connection in
            try await connection.execute(query, logger: logger)
        }
    }

    /// Runs one statement for its effect.
    func execute(_ query: PostgresQuery) async throws {
        try await rows(query)
    }
}

/// A one-time signal that one task awaits and another gives; the wait ignores cancellation.
private final class Signal: Sendable {
    private enum State {
        case waiting(CheckedContinuation<Void, Never>?)
        case given
    }

    private let state = Mutex(State.waiting(nil))

    func wait() async {
        await withCheckedContinuation { continuation in
            let given = state.withLock { state in
                guard case .waiting = state else { return true }
                state = .waiting(continuation)
                return false
            }
            if given { continuation.resume() }
        }
    }

    func signal() {
        let waiting = state.withLock { state in
            defer { state = .given }
            guard case .waiting(let continuation) = state else { return nil as CheckedContinuation<Void, Never>? }
            return continuation
        }
        waiting?.resume()
    }
}

extension PostgresConnection {
    /// Runs one statement and reads its rows to the end (an error that comes after the first row
    /// is thrown here, not lost).
    ///
    /// - Throws: `PostgresUnavailable.connectionClosed` at once on a closed connection: PostgresNIO
    ///   never answers a statement sent on one, so the `ROLLBACK` after a statement that failed
    ///   because the server went away would wait forever (and with it the request, the processor,
    ///   a graceful shutdown).
    @discardableResult
    func execute(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        guard !isClosed else { throw PostgresUnavailable.connectionClosed }
        return try await self.query(query, logger: logger).collect()
    }
}
