import Foundation
import GatewayCore
@testable import GatewayPostgres
import GatewayRepositories
import PostgresNIO
import Testing

/// The admin console's sessions, shared by the instances.
@Suite(PostgresTestDatabase.enabled) struct PostgresConsoleSessionTests {
    static let now = Date(timeIntervalSince1970: 1_748_736_000)

    @Test func aSessionOpenedOnOneInstanceIsExtendedOnAnotherUntilItEnds() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            let one = PostgresConsoleSessionRepository(database: databases[0])
            let other = PostgresConsoleSessionRepository(database: databases[1])
            try await one.addConsoleSession(ConsoleSessionRecord(idHash: "hash-1", csrf: "csrf-1", expiresAt: Self.now.addingTimeInterval(3600)), at: Self.now)

            let later = Self.now.addingTimeInterval(3000)
            let extended = try await other.consoleSession(idHash: "hash-1", at: later, extendedTo: later.addingTimeInterval(3600))
            #expect(extended == ConsoleSessionRecord(idHash: "hash-1", csrf: "csrf-1", expiresAt: later.addingTimeInterval(3600)))
            // Past its first expiry, it lives: it was extended.
            let past = Self.now.addingTimeInterval(4000)
            #expect(try await one.consoleSession(idHash: "hash-1", at: past, extendedTo: past.addingTimeInterval(3600))?.csrf == "csrf-1")
            #expect(try await one.consoleSession(idHash: "hash-unknown", at: past, extendedTo: past) == nil)

            try await other.endConsoleSession(idHash: "hash-1")
            #expect(try await one.consoleSession(idHash: "hash-1", at: past, extendedTo: past.addingTimeInterval(3600)) == nil)
        }
    }

    @Test func anExpiredSessionIsNotExtendedAndIsSweptByTheNextSignIn() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            let sessions = PostgresConsoleSessionRepository(database: database)
            let expires = Self.now.addingTimeInterval(600)
            try await sessions.addConsoleSession(ConsoleSessionRecord(idHash: "hash-old", csrf: "csrf-old", expiresAt: expires), at: Self.now)
            #expect(try await sessions.consoleSession(idHash: "hash-old", at: expires, extendedTo: expires.addingTimeInterval(600)) == nil)
            let stored = try await database.rows("SELECT expires_at FROM console_session WHERE id_hash = 'hash-old'").first?.decode(Date.self)
            #expect(stored == expires, "the refused lookup did not bring it back")

            try await sessions.addConsoleSession(
                ConsoleSessionRecord(idHash: "hash-new", csrf: "csrf-new", expiresAt: expires.addingTimeInterval(3600)), at: expires)
            let left = try await database.rows("SELECT id_hash FROM console_session ORDER BY id_hash").map { try $0.decode(String.self) }
            #expect(left == ["hash-new"])
            await #expect(throws: (any Error).self) {
                try await sessions.addConsoleSession(ConsoleSessionRecord(idHash: "hash-new", csrf: "again", expiresAt: expires), at: expires)
            }
        }
    }
}
