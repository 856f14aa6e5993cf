import Foundation
import PostgresNIO

/// Why a connection to PostgreSQL could not be made, in words a person can act on, and whether
/// trying again may help: a server starting up, out of connection slots or slow to answer may
/// let the next try in; nothing listening, a refused login or a missing database will not.
///
/// The reason never holds the password: it is made from the server's own message and the
/// network error, never from the URL.
struct PostgresConnectFailure: Sendable, Equatable {
    var reason: String
    /// Whether a later try may succeed.
    var transient: Bool
    /// Whether the server is up and answering, only out of connection slots (or memory for one):
    /// the connections it already gave keep working, so a statement waiting for one may wait on.
    var serverBusy = false

    /// SQLSTATEs a server answers while it cannot take the connection yet: too many connections,
    /// out of memory for one, starting up or shutting down.
    static let transientStates: Set<String> = ["53300", "53200", "57P03", "57P01"]
    /// Of those, the ones a running server answers when it is full.
    static let busyStates: Set<String> = ["53300", "53200"]

    init(reason: String, transient: Bool, serverBusy: Bool = false) {
        self.reason = reason
        self.transient = transient
        self.serverBusy = serverBusy
    }

    init(_ error: any Error) {
        guard let error = error as? PSQLError else {
            self = Self(network: error)
            return
        }
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? "?"
            let message = error.serverInfo?[.message] ?? "no message"
            let said = "\(message) (SQLSTATE \(state))"
            switch state {
            case "28P01", "28000":
                self.init(reason: "it refused the login: \(said); check the user and password in the URL, and pg_hba.conf", transient: false)
            case "3D000":
                self.init(reason: "\(said); check the database name in the URL", transient: false)
            case _ where Self.transientStates.contains(state):
                self.init(reason: "it cannot take the connection now: \(said)", transient: true, serverBusy: Self.busyStates.contains(state))
            default:
                self.init(reason: "it refused the connection: \(said)", transient: false)
            }
        case .sslUnsupported:
            self.init(reason: "it does not offer TLS, which sslmode=require asks for", transient: false)
        case .authMechanismRequiresPassword:
            self.init(reason: "it asks for a password and the URL has none", transient: false)
        case .unsupportedAuthMechanism:
            self.init(reason: "it asks for an authentication method the gateway does not support", transient: false)
        case .connectionError:
            self = error.underlying.map(Self.init(network:)) ?? Self(reason: "the connection failed", transient: true)
        case .serverClosedConnection, .uncleanShutdown:
            self.init(reason: "it closed the connection during the login", transient: true)
        default:
            self.init(reason: "the connection failed (\(error.code))", transient: true)
        }
    }

    /// A failure below PostgreSQL's protocol: the socket, name resolution, TLS.
    init(network error: any Error) {
        if Self.refused(error) {
            self.init(reason: "nothing accepts connections there (connection refused): is PostgreSQL running, and are the host and port right?", transient: false)
        } else if let error = error as? NIOConnectionError, error.connectionErrors.isEmpty, let dns = error.dnsAError ?? error.dnsAAAAError {
            self.init(reason: "the host name does not resolve (\(dns))", transient: false)
        } else if case ChannelError.connectTimeout = error {
            self.init(reason: "it did not accept the connection in time", transient: true)
        } else if let error = error as? NIOSSLError {
            self.init(reason: "TLS failed: \(error)", transient: false)
        } else {
            self.init(reason: "the connection failed: \(error)", transient: true)
        }
    }

    /// Whether the network said no one listens (ECONNREFUSED), for one address or every one tried.
    private static func refused(_ error: any Error) -> Bool {
        if let error = error as? IOError { return error.errnoCode == ECONNREFUSED }
        if let error = error as? NIOConnectionError {
            return !error.connectionErrors.isEmpty && error.connectionErrors.allSatisfy { refused($0.error) }
        }
        return false
    }
}
