public import Foundation

/// The admin console's sessions, kept in the store by the SHA-256 of their id, so a session
/// outlives a restart and is signed in on every gateway instance that shares the store.
public protocol ConsoleSessionRepository: Sendable {
    /// Stores a session, and drops the expired ones.
    func addConsoleSession(_ session: ConsoleSessionRecord, at now: Date) async throws
    /// The live session with `idHash`, its expiry moved to `extendedTo`; `nil` when unknown or expired.
    func consoleSession(idHash: String, at now: Date, extendedTo: Date) async throws -> ConsoleSessionRecord?
    func endConsoleSession(idHash: String) async throws
}

/// An admin's console session as stored: the hash of its id (the cookie's value is never stored)
/// and the CSRF token its forms carry.
public struct ConsoleSessionRecord: Sendable, Hashable {
    public var idHash: String
    public var csrf: String
    public var expiresAt: Date

    public init(idHash: String, csrf: String, expiresAt: Date) {
        self.idHash = idHash
        self.csrf = csrf
        self.expiresAt = expiresAt
    }
}
