import AsyncHTTPClient
import Foundation
import GatewayCore
@testable import GatewayPostgres
import GatewayRepositories
import GatewayTestSupport
import NIOHTTP1
import PostgresNIO
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// PostgreSQL going away while a real `serve` process runs, and coming back: the instance reaches
/// the shared server through a relay the test cuts (every connection closed, new ones refused) and
/// restores, so the server itself keeps serving the other tests.
@Suite(PostgresTestDatabase.enabled) struct PostgresOutageTests {
    typealias Instance = PostgresServeProcessTests

    @Test(.timeLimit(.minutes(6)))
    func webhooksAre503AndNotReadyWhileThePostgreSQLIsAwayAndTheInstanceRecoversByItself() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Instance.binary.path), "build the executable first: swift build")
        let url = try #require(PostgresTestDatabase.url)
        try await PostgresTestDatabase.withFreshSchema { database in
            let server = try PostgresAddress(url)
            let relay = try TCPRelay(to: server.host, port: server.port)
            try await relay.open()
            defer { Task { await relay.cut() } }
            var relayed = try #require(URLComponents(string: try Instance.instanceURL(url, of: database)))
            relayed.host = "127.0.0.1"
            relayed.port = relay.port
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-pg-outage-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let (process, port) = try await Instance.start(database: try #require(relayed.string), dataDirectory: directory)
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
            let inbox = PostgresDeliveryInbox(database: database)
            /// How many rows hold `eventID`, and how many duplicates they counted (read past the relay).
            func stored(_ eventID: String) async throws -> (rows: Int, duplicates: Int) {
                let rows = try await inbox.deliveries(matching: DeliveryQuery(source: "stripe", limit: 100)).filter { $0.vendorDeliveryID == eventID }
                return (rows.count, rows.map(\.duplicateCount).reduce(0, +))
            }

            // The first delivery is caught mid-batch: the test holds the ledger's lock, so the
            // instance claims it and then waits to settle it when PostgreSQL goes away.
            let holder = try await PostgresConnection.connect(configuration: database.probeConfiguration, id: 99, logger: PostgresTestDatabase.logger)
            try await holder.execute(
                "SELECT pg_advisory_lock(hashtext(current_schema()), \(SchemaLock.recomputation.rawValue))", logger: PostgresTestDatabase.logger)
            #expect(try await Instance.send("evt_outage_before", invoice: "in_outage_before", to: port) == 200)
            #expect(try await Instance.get("/readyz", port: port) == 200)
            let claimedBy = ContinuousClock.now + .seconds(30)
            while try await inbox.deliveries(matching: DeliveryQuery(source: "stripe", limit: 10)).first?.status != .processing, ContinuousClock.now < claimedBy {
                try await Task.sleep(for: .milliseconds(50))
            }
            try await Task.sleep(for: .milliseconds(500))

            // PostgreSQL goes away.
            await relay.cut()
            try await holder.execute(
                "SELECT pg_advisory_unlock(hashtext(current_schema()), \(SchemaLock.recomputation.rawValue))", logger: PostgresTestDatabase.logger)
            try await holder.close()
            let clock = ContinuousClock()
            var asked = clock.now
            let during = try await Instance.post("evt_outage", invoice: "in_outage", to: port, timeout: 120)
            #expect(during.status.code == 503, "not acknowledged: nothing could be committed")
            #expect(during.headers.first(name: "Retry-After") == "30", "the vendor is told to send it again")
            #expect(clock.now - asked < .seconds(15), "answered without waiting for the database to come back: \(clock.now - asked)")
            asked = clock.now
            #expect(try await Instance.get("/readyz", port: port) == 503)
            #expect(clock.now - asked < .seconds(5), "a readiness probe gives up within seconds: \(clock.now - asked)")
            #expect(try await Instance.get("/healthz", port: port) == 200, "alive: restarting it would not bring the database back")
            #expect(try await stored("evt_outage").rows == 0)

            // PostgreSQL comes back: the same instance becomes ready on its own.
            try await relay.open()
            asked = clock.now
            var ready: UInt = 0
            while ready != 200, clock.now - asked < .seconds(90) {
                ready = try await Instance.get("/readyz", port: port)
                if ready != 200 { try await Task.sleep(for: .milliseconds(250)) }
            }
            #expect(ready == 200, "ready again without a restart")
            // The vendor's retry is stored, once; a second one is a duplicate.
            #expect(try await Instance.send("evt_outage", invoice: "in_outage", to: port) == 200)
            #expect(try await Instance.send("evt_outage", invoice: "in_outage", to: port) == 200)
            #expect(try await stored("evt_outage") == (1, 1))
            #expect(try await stored("evt_outage_before") == (1, 0))
            // And processed, by the same process: the claim the cut left behind is given back
            // once the store answers again, not after its five-minute lease.
            // The pool reconnects on its own backoff (up to about a minute after a long cut), so
            // on a loaded machine this can take a while: the claim's 300 s lease is what it must beat.
            let deadline = clock.now + .seconds(150)
            while try await inbox.countAwaitingProcessing() > 0, clock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
            #expect(try await inbox.deliveries(matching: DeliveryQuery(source: "stripe", limit: 100)).allSatisfy { $0.status == .processed })
            #expect(process.isRunning, "recovered without a restart")
            #expect(await Instance.stop(process), "a graceful shutdown after the outage ends the process")
        }
    }
}
