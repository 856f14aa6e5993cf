public import AsyncHTTPClient
public import Foundation
public import GatewayAdapters
public import GatewayRepositories

/// The Xero Accounting API, for the invoices and contacts notifications name: `GET
/// api.xro/2.0/Invoices/{id}` and `Contacts/{id}` with the organisation in `xero-tenant-id`,
/// through an `OAuthAPIConnection` (Xero rotates the refresh token on every refresh; the new one
/// is kept in the store).
public actor XeroClient: EntityFetcher {
    /// What the operator configures (`GATEWAY_XERO_*`).
    public struct Credentials: OAuthAppCredentials {
        public var clientID: String
        public var clientSecret: Secret
        /// The refresh token to start from; a newer one saved in the store wins.
        public var refreshToken: Secret
        /// The organisations (Xero tenant ids) the connection may read; notifications for others fail.
        public var tenantIDs: [String]
        public var apiBase: URL
        public var tokenURL: URL

        public init(
            clientID: String, clientSecret: Secret, refreshToken: Secret, tenantIDs: [String],
            apiBase: URL = URL(string: "https://api.xero.com")!, tokenURL: URL = URL(string: "https://identity.xero.com/connect/token")!
        ) {
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.refreshToken = refreshToken
            self.tenantIDs = tenantIDs.map { $0.lowercased() }
            self.apiBase = apiBase
            self.tokenURL = tokenURL
        }
    }

    public nonisolated let connector = "xero"
    private let credentials: Credentials
    private let connection: OAuthAPIConnection

    public init(credentials: Credentials, client: HTTPClient, store: any Repositories, retry: RetryPolicy = RetryPolicy()) {
        self.credentials = credentials
        // One token serves every organisation the user connected, so it is kept per app.
        self.connection = OAuthAPIConnection(
            vendor: "Xero", app: credentials, tokenName: "xero:\(credentials.clientID)", client: client, store: store, retry: retry)
    }

    /// The API's collection for each entity a notification names.
    private static let collections = ["Invoice": "Invoices", "Contact": "Contacts"]

    public func fetch(_ request: EnrichmentRequest) async throws(FetchFailure) -> JSONValue {
        guard credentials.tenantIDs.contains(request.account.lowercased()) else {
            throw FetchFailure(
                "no Xero connection for organisation \(request.account) (configured: \(credentials.tenantIDs.joined(separator: ", ")))",
                transient: false)
        }
        guard let collection = Self.collections[request.entity] else {
            throw FetchFailure("the Xero client does not fetch \(request.entity)", transient: false)
        }
        // Xero's resource ids are UUIDs; anything else must not reach the URL's path.
        guard UUID(uuidString: request.id) != nil else {
            throw FetchFailure("\(request.entity) id \(request.id) is not a Xero resource id", transient: false)
        }
        let url = credentials.apiBase.appendingPathComponent("api.xro/2.0/\(collection)/\(request.id)")
        return try await connection.get(url, headers: [("xero-tenant-id", request.account)], what: "\(request.entity) \(request.id)")
    }
}
