import Foundation
import GatewayCore
import PostgresNIO

/// A `postgres://` URL taken apart.
struct PostgresAddress: Sendable {
    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String?
    var sslMode: SSLMode
    /// The schema the gateway's tables are in (`?schema=`), when not `public`.
    var schema: String?

    /// The URL without its password.
    var location: String {
        "postgres://\(username)@\(host):\(port)/\(database ?? "")"
    }

    init(_ url: String) throws {
        guard let components = URLComponents(string: url), components.scheme == "postgres" || components.scheme == "postgresql",
            let host = components.host, !host.isEmpty, let username = components.user, !username.isEmpty
        else {
            throw GatewayError.invalid("a PostgreSQL database is named by postgres://user:password@host:port/database", field: "database")
        }
        self.host = host
        port = components.port ?? 5432
        self.username = username.removingPercentEncoding ?? username
        password = components.password.map { $0.removingPercentEncoding ?? $0 }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? nil : path
        schema = components.queryItems?.first(where: { $0.name == "schema" })?.value.flatMap { $0.isEmpty ? nil : $0 }
        if let schema, !schema.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
            throw GatewayError.invalid("schema \(schema) must be letters, digits and underscores", field: "database")
        }
        switch components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable" {
        case "disable": sslMode = .disable
        case "prefer", "allow": sslMode = .prefer
        case "require", "verify-ca", "verify-full": sslMode = .require
        case let other: throw GatewayError.invalid("sslmode \(other) is not one of disable, prefer, require", field: "database")
        }
    }

    /// The URL's `sslmode`, as the gateway reads it (`require` verifies the certificate).
    enum SSLMode: Sendable {
        case disable, prefer, require
    }

    /// The pool's TLS for `sslMode`.
    var clientTLS: PostgresClient.Configuration.TLS {
        switch sslMode {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }

    /// A single connection's TLS for `sslMode` (the start-up probe's), verifying the server's
    /// certificate against the system's trust roots as the pool does.
    func connectionTLS() throws -> PostgresConnection.Configuration.TLS {
        switch sslMode {
        case .disable: .disable
        case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
    }
}
