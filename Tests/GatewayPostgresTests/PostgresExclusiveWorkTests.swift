import Foundation
import GatewayEngine
@testable import GatewayPostgres
import GatewayRepositories
import PostgresNIO
import Testing

/// Work that must run once across the instances sharing a database (a poller's pass, retention):
/// while one instance does it, the others skip it.
@Suite(PostgresTestDatabase.enabled) struct PostgresExclusiveWorkTests {
    @Test func whileOneInstanceRunsTheWorkTheOtherSkipsItAndRunsItOnceItIsFree() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            let one = PostgresStore(database: databases[0], outboundEvents: OutboundEvents())
            let other = PostgresStore(database: databases[1], outboundEvents: OutboundEvents())
            let (entered, inside) = AsyncStream.makeStream(of: Void.self)
            let (released, release) = AsyncStream.makeStream(of: Void.self)

            let first = Task {
                try await one.exclusively("retention") { () async throws -> Int in
                    inside.yield()
                    for await _ in released { break }
                    return 1
                }
            }
            for await _ in entered { break }
            // Held by the first instance: skipped here, not waited for. Other work still runs.
            let skipped = try await other.exclusively("retention") { 2 }
            let otherWork = try await other.exclusively("autotask-contract-poller") { 3 }
            #expect(skipped == nil && otherWork == 3)
            release.yield()
            let held = try await first.value
            #expect(held == 1)
            // Free again, on either instance.
            let again = try await other.exclusively("retention") { 4 }
            let back = try await one.exclusively("retention") { 5 }
            #expect(again == 4 && back == 5)
        }
    }

    @Test func workThatFailsFreesItsLock() async throws {
        struct Failure: Error {}
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            let one = PostgresStore(database: databases[0], outboundEvents: OutboundEvents())
            let other = PostgresStore(database: databases[1], outboundEvents: OutboundEvents())
            do {
                _ = try await one.exclusively("retention") { () async throws -> Int in throw Failure() }
                Issue.record("the failure was not passed on")
            } catch is Failure {}
            let after = try await other.exclusively("retention") { 6 }
            #expect(after == 6)
        }
    }

    /// How many of the racing passes have returned.
    actor Finished {
        private(set) var count = 0
        func mark() { count += 1 }
    }

    @Test func twoInstancesPassingAtOnceRunTheWorkOnceBetweenThem() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            let stores = databases.map { PostgresStore(database: $0, outboundEvents: OutboundEvents()) }
            let finished = Finished()
            let results = try await withThrowingTaskGroup(of: Int?.self) { group in
                for store in stores {
                    group.addTask {
                        let result = try await store.exclusively("autotask-contract-poller") { () async throws -> Int in
                            // Inside, wait for the other pass to return: with the lock it returns at
                            // once (skipped); without it both would be in here, and both would run.
                            for _ in 0..<300 where await finished.count == 0 { try await Task.sleep(for: .milliseconds(100)) }
                            return 1
                        }
                        await finished.mark()
                        return result
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            // The work returns 1 where it ran: it ran on one instance, and the other skipped it.
            #expect(results.compactMap { $0 } == [1] && results.count == 2)
        }
    }
}
