import AsyncHTTPClient
import Foundation
import GatewayAdapters
import GatewayCore
@testable import GatewayPostgres
import GatewayRepositories
import GatewayTestSupport
import NIOCore
import NIOHTTP1
import PostgresNIO
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Two real `referral-gateway serve` processes on one PostgreSQL database, as two instances behind
/// a load balancer: a vendor retry reaching the other instance is a duplicate, and every delivery
/// either receives is processed once.
@Suite(PostgresTestDatabase.enabled) struct PostgresServeProcessTests {
    /// The executable SwiftPM built beside this test bundle.
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("referral-gateway")

    /// Starts `serve --database` on an ephemeral port and returns the process and the port it bound.
    /// `environment` is added to what every instance is given.
    ///
    /// It waits on a thread of its own: reading the server's output blocks, and a blocked thread of
    /// the few the tests share could stall another test's open transaction (a migration's, which
    /// holds the lock every instance's start waits for).
    static func start(database: String, dataDirectory: URL, environment: [String: String] = [:]) async throws -> (ChildProcess, Int) {
        try await aside { try startBlocking(database: database, dataDirectory: dataDirectory, environment: environment) }
    }

    /// Runs `work` on a new thread, off the tasks' shared threads.
    static func aside<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }

    private static func startBlocking(database: String, dataDirectory: URL, environment: [String: String]) throws -> (ChildProcess, Int) {
        let process = ChildProcess()
        process.executableURL = binary
        process.arguments = ["serve", "--port", "0", "--data-dir", dataDirectory.path, "--adapters-dir", Fixtures.root.appendingPathComponent("adapters").path]
        process.environment = [
            "GATEWAY_DATABASE_URL": database, "GATEWAY_STRIPE_SECRETS": SignedDeliveries.stripeSecret.value, "LOG_LEVEL": "info",
        ].merging(environment) { _, added in added }
        let output = Pipe()
        process.standardError = output
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var seen = ""
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
            if let range = seen.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                output.fileHandleForReading.readabilityHandler = { handle in _ = handle.availableData }
                return (process, Int(seen[range].split(separator: ":").last!)!)
            }
        }
        process.terminate()
        throw GatewayError.invalid("the server did not report its port; it printed: \(seen)")
    }

    /// Asks `process` to shut down (SIGTERM) and waits up to `limit` for it to exit; a process still
    /// running then is killed. Returns whether it exited by itself.
    static func stop(_ process: ChildProcess, within limit: Duration = .seconds(30)) async -> Bool {
        process.terminate()
        let deadline = ContinuousClock.now + limit
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        guard process.isRunning else { return true }
        kill(process.processIdentifier, SIGKILL)
        return false
    }

    /// Posts Stripe's `invoice.paid` fixture (as `type`, `invoice.payment_succeeded` being its twin
    /// for the same payment) as event `eventID`, signed now; returns the response.
    static func post(_ eventID: String, invoice: String, type: String = "invoice.paid", to port: Int, timeout: Int64 = 30) async throws -> HTTPClientResponse {
        let template = try String(contentsOf: Fixtures.root.appendingPathComponent("fixtures/stripe/invoice.paid.json"), encoding: .utf8)
        let body = Data(
            template.replacingOccurrences(of: "evt_1RZq3LKx7aQ2mN0pV1eT9bYc", with: eventID)
                .replacingOccurrences(of: "in_1RZq3HKx7aQ2mN0pXf4sLk2Q", with: invoice)
                .replacingOccurrences(of: "\"type\": \"invoice.paid\"", with: "\"type\": \"\(type)\"").utf8)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/webhooks/stripe")
        request.method = .POST
        for (name, value) in SignedDeliveries.stripeHeaders(body) { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await HTTPClient.shared.execute(request, timeout: .seconds(timeout))
    }

    /// `post`'s status.
    static func send(_ eventID: String, invoice: String, type: String = "invoice.paid", to port: Int, timeout: Int64 = 30) async throws -> UInt {
        try await post(eventID, invoice: invoice, type: type, to: port, timeout: timeout).status.code
    }

    /// The status `GET path` answers.
    static func get(_ path: String, port: Int, timeout: Int64 = 30) async throws -> UInt {
        try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"), timeout: .seconds(timeout)).status.code
    }

    /// The URL of `database`'s schema, as an instance is given it.
    static func instanceURL(_ url: String, of database: PostgresGatewayDatabase) throws -> String {
        let schema = try #require(database.location.split(separator: " ").last?.dropLast()).description
        return url + (url.contains("?") ? "&" : "?") + "schema=\(schema)"
    }

    @Test(.timeLimit(.minutes(3)))
    func twoInstancesOnOneDatabaseStoreEachDeliveryOnceAndProcessIt() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the executable first: swift build")
        let url = try #require(PostgresTestDatabase.url)
        try await PostgresTestDatabase.withFreshSchema(migrated: false) { databases in
            let instanceURL = try Self.instanceURL(url, of: databases[0])
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-pg-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            // Both start together on an empty schema: one migrates, the other waits for it.
            let (first, firstPort) = try await Self.start(database: instanceURL, dataDirectory: directory.appendingPathComponent("one"))
            defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
            let (second, secondPort) = try await Self.start(database: instanceURL, dataDirectory: directory.appendingPathComponent("two"))
            defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }

            // Thirty deliveries, each sent to both instances at once (a retry reaching the other one).
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for index in 0..<30 {
                    for port in [firstPort, secondPort] {
                        group.addTask { try await Self.send("evt_pg_\(index)", invoice: "in_pg_\(index)", to: port) }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.count == 60)
            #expect(statuses.allSatisfy { $0 == 200 }, "a duplicate is acknowledged too")

            let inbox = PostgresDeliveryInbox(database: databases[0])
            let stored = try await inbox.deliveries(matching: DeliveryQuery(source: "stripe", limit: 100))
            #expect(stored.count == 30, "one row per delivery")
            #expect(stored.map(\.duplicateCount).reduce(0, +) == 30, "the other copy of each counted as a duplicate")
            // The instances' processors share the work; each delivery is settled once.
            let deadline = Date().addingTimeInterval(60)
            while try await inbox.countAwaitingProcessing() > 0, Date() < deadline { try await Task.sleep(for: .milliseconds(200)) }
            let settled = try await inbox.deliveries(matching: DeliveryQuery(source: "stripe", limit: 100))
            #expect(settled.allSatisfy { $0.status == .processed })
            #expect(settled.allSatisfy { $0.attempts == 1 }, "no delivery processed twice")

            first.terminate()
            second.terminate()
            first.waitUntilExit()
            second.waitUntilExit()
        }
    }

    /// Runs `referral-gateway arguments` to its end with `environment`; returns its exit status,
    /// what it printed on standard error, and how long it took.
    static func run(_ arguments: [String], environment: [String: String]) async throws -> (status: Int32, printed: String, took: TimeInterval) {
        try await aside { try runBlocking(arguments, environment: environment) }
    }

    private static func runBlocking(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, printed: String, took: TimeInterval) {
        let process = ChildProcess()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = environment
        let output = Pipe()
        process.standardError = output
        process.standardOutput = FileHandle.nullDevice
        let started = Date()
        try process.run()
        let printed = String(decoding: output.fileHandleForReading.readAllRetryingInterrupts(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, printed, Date().timeIntervalSince(started))
    }

    /// A PostgreSQL that cannot be used is said at once, with PostgreSQL's or the network's reason,
    /// by `serve` and by `migrate`, never with the password.
    @Test(.timeLimit(.minutes(2)), arguments: ["serve", "migrate"])
    func aDatabaseThatCannotBeUsedStopsTheCommandAtOnceSayingWhy(command: String) async throws {
        let url = try #require(PostgresTestDatabase.url)
        let arguments = [command] + (command == "serve" ? ["--port", "0", "--adapters-dir", Fixtures.root.appendingPathComponent("adapters").path] : [])
        let server = try PostgresAddress(url)

        // Nothing listens on port 1 of the loopback.
        let secret = "hunter2-not-shown"
        let refused = try await Self.run(arguments, environment: ["GATEWAY_DATABASE_URL": "postgres://gateway:\(secret)@127.0.0.1:1/referrals"])
        #expect(refused.status != 0)
        #expect(refused.printed.contains("PostgreSQL at postgres://gateway@127.0.0.1:1/referrals cannot be used: nothing accepts connections there (connection refused)"), "\(refused.printed)")
        #expect(!refused.printed.contains(secret))
        #expect(refused.took < 15, "said at once, not after the pool's minute of retries: \(refused.took) s")

        // The real server, a wrong password.
        var wrong = try #require(URLComponents(string: url))
        wrong.password = secret
        let login = try await Self.run(arguments, environment: ["GATEWAY_DATABASE_URL": try #require(wrong.string)])
        #expect(login.status != 0)
        #expect(login.printed.contains("PostgreSQL at \(server.location) cannot be used: it refused the login: "), "\(login.printed)")
        #expect(login.printed.contains("SQLSTATE 28P01"), "PostgreSQL's own reason: \(login.printed)")
        #expect(!login.printed.contains(secret))
        #expect(login.took < 15, "\(login.took) s")
    }

    @Test(.timeLimit(.minutes(2)))
    func serveRefusesADatabaseANewerBuildMigratedSayingSo() async throws {
        let url = try #require(PostgresTestDatabase.url)
        try await PostgresTestDatabase.withFreshSchema { database in
            try await database.execute("INSERT INTO gateway_migrations (identifier) VALUES ('v99: from a newer build')")
            let (status, printed, _) = try await Self.run(
                ["serve", "--port", "0", "--adapters-dir", Fixtures.root.appendingPathComponent("adapters").path],
                environment: ["GATEWAY_DATABASE_URL": try Self.instanceURL(url, of: database)])
            #expect(status != 0)
            #expect(printed.contains("has a newer schema than this build knows (v99: from a newer build)"), "\(printed)")
            #expect(!printed.contains(":gateway@"), "the password is never printed")
        }
    }
}
