import Foundation
import GatewayAdapters
import GatewayCore
import HTTPTypes

/// Signed-in console sessions, kept in memory: a restart signs everyone out, which is the safe
/// failure for an admin console. Each session has its own CSRF token for the console's forms.
actor ConsoleSessions {
    struct Session: Sendable {
        let id: String
        let csrf: String
        var expiresAt: Date
    }

    /// How long a session lasts without use.
    static let lifetime: TimeInterval = 8 * 3_600

    private var sessions: [String: Session] = [:]

    func create(at now: Date) -> Session {
        sessions = sessions.filter { $0.value.expiresAt > now }
        let session = Session(id: RandomToken.make(), csrf: RandomToken.make(), expiresAt: now.addingTimeInterval(Self.lifetime))
        sessions[session.id] = session
        return session
    }

    /// The live session with `id`, its expiry pushed back.
    func session(_ id: String, at now: Date) -> Session? {
        guard var session = sessions[id] else { return nil }
        guard session.expiresAt > now else {
            sessions[id] = nil
            return nil
        }
        session.expiresAt = now.addingTimeInterval(Self.lifetime)
        sessions[id] = session
        return session
    }

    func end(_ id: String) {
        sessions[id] = nil
    }
}

/// The headers every console page carries: no scripts at all, no framing, no caching.
enum ConsoleSecurity {
    static let cookieName = "rg_console"

    static let htmlHeaders: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        .xContentTypeOptions: "nosniff",
        .referrerPolicy: "same-origin",
        .cacheControl: "no-store",
        .xFrameOptions: "DENY",
    ]

    /// Whether a submitted CSRF token is the session's, compared in constant time.
    static func csrfMatches(_ submitted: String?, _ session: ConsoleSessions.Session) -> Bool {
        guard let submitted else { return false }
        return ConstantTime.matchesAny(submitted, [Secret(session.csrf)])
    }
}

extension HTTPField.Name {
    static let contentSecurityPolicy = Self("Content-Security-Policy")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xFrameOptions = Self("X-Frame-Options")!
}
