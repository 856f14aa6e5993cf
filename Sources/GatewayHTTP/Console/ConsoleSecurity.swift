import Foundation
import GatewayAdapters
import GatewayCore
import GatewayEngine
import HTTPTypes

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
    static func csrfMatches(_ submitted: String?, _ session: ConsoleSessionService.Session) -> Bool {
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
