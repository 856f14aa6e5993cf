public import Foundation
import GatewayCore
public import GatewayRepositories

/// Signing admins in to the console: a session is a random id in the cookie and the SHA-256 of
/// it in the store, with its own CSRF token. Stored, not in memory, so a restart keeps admins
/// signed in and every instance on one store knows every session.
public struct ConsoleSessionService: Sendable {
    /// How long a session lasts without use.
    public static let lifetime: TimeInterval = 8 * 3_600

    /// A session as the console uses it: the id goes in the cookie, once.
    public struct Session: Sendable {
        public var id: String
        public var csrf: String
        public var expiresAt: Date
    }

    let store: any Repositories

    public init(store: any Repositories) {
        self.store = store
    }

    public func create(at now: Date) async throws -> Session {
        let session = Session(id: RandomToken.make(), csrf: RandomToken.make(), expiresAt: now.addingTimeInterval(Self.lifetime))
        try await store.consoleSessions.addConsoleSession(
            ConsoleSessionRecord(idHash: PortalService.hash(session.id), csrf: session.csrf, expiresAt: session.expiresAt), at: now)
        return session
    }

    /// The live session with `id`, its expiry pushed back.
    public func session(_ id: String, at now: Date) async throws -> Session? {
        let expires = now.addingTimeInterval(Self.lifetime)
        guard let record = try await store.consoleSessions.consoleSession(idHash: PortalService.hash(id), at: now, extendedTo: expires) else {
            return nil
        }
        return Session(id: id, csrf: record.csrf, expiresAt: record.expiresAt)
    }

    public func end(_ id: String) async throws {
        try await store.consoleSessions.endConsoleSession(idHash: PortalService.hash(id))
    }
}
