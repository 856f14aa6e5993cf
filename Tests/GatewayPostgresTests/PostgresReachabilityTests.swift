import Foundation
import GatewayCore
import GatewayPostgres
import Logging
import Testing

/// A database that does not answer is reported in a sentence, quickly, without the password.
@Suite struct PostgresReachabilityTests {
    @Test func aServerThatDoesNotAnswerIsRefusedWithinTheLimitAndTheMessageHoldsNoPassword() async throws {
        // Nothing listens on this port (a closed one on loopback).
        let database = try PostgresGatewayDatabase(
            url: "postgres://gateway:hunter2secret@127.0.0.1:1/referrals", logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let pool = Task { await database.run() }
        defer { pool.cancel() }
        let started = ContinuousClock.now
        do {
            try await database.checkReachable(within: .seconds(1))
            Issue.record("a server that does not answer was reachable")
        } catch let error as GatewayError {
            #expect(error.message.contains("postgres://gateway@127.0.0.1:1/referrals did not answer within 1 s"))
            #expect(!error.message.contains("hunter2secret"))
        }
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
