public import AsyncHTTPClient
public import Foundation
public import GatewayAdapters
public import GatewayRepositories
import NIOCore
import NIOHTTP1

/// The QuickBooks Online Accounting API, for the entities notifications name: OAuth 2 access
/// tokens refreshed with the refresh token when they expire (and once more on a 401), the rotated
/// refresh token saved in the store, and transient failures retried with backoff.
public actor QuickBooksClient: EntityFetcher {
    /// What the operator configures (`GATEWAY_QUICKBOOKS_*`).
    public struct Credentials: Sendable {
        public var realmID: String
        public var clientID: String
        public var clientSecret: Secret
        /// The refresh token to start from; a newer one saved in the store wins.
        public var refreshToken: Secret
        public var apiBase: URL
        public var tokenURL: URL
        public var minorVersion: Int

        public init(
            realmID: String, clientID: String, clientSecret: Secret, refreshToken: Secret,
            apiBase: URL = URL(string: "https://quickbooks.api.intuit.com")!,
            tokenURL: URL = URL(string: "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer")!, minorVersion: Int = 75
        ) {
            self.realmID = realmID
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.refreshToken = refreshToken
            self.apiBase = apiBase
            self.tokenURL = tokenURL
            self.minorVersion = minorVersion
        }
    }

    public nonisolated let connector = "quickbooks"
    private let credentials: Credentials
    private let client: HTTPClient
    private let store: any Repositories
    private let retry: RetryPolicy
    private var token: OAuthToken?

    public init(credentials: Credentials, client: HTTPClient, store: any Repositories, retry: RetryPolicy = RetryPolicy()) {
        self.credentials = credentials
        self.client = client
        self.store = store
        self.retry = retry
    }

    private var tokenName: String { "quickbooks:\(credentials.realmID)" }

    public func fetch(_ request: EnrichmentRequest) async throws(FetchFailure) -> JSONValue {
        guard request.account == credentials.realmID else {
            throw FetchFailure(
                "no QuickBooks credentials for realm \(request.account) (configured: \(credentials.realmID))", transient: false)
        }
        var url = credentials.apiBase.appendingPathComponent("v3/company/\(credentials.realmID)/\(request.entity.lowercased())/\(request.id)")
        url.append(queryItems: [URLQueryItem(name: "minorversion", value: String(credentials.minorVersion))])
        let what = "\(request.entity) \(request.id)"

        var refreshedAfterUnauthorized = false
        var attempt = 1
        while true {
            let outcome: Result<JSONValue, FetchFailure>
            do {
                let accessToken = try await validAccessToken()
                outcome = try await get(url, accessToken: accessToken, what: what)
            } catch let failure as FetchFailure {
                outcome = .failure(failure)
            } catch {
                outcome = .failure(FetchFailure("\(what): \(type(of: error))", transient: true))
            }
            switch outcome {
            case .success(let entity):
                return entity
            case .failure(let failure) where failure.reason.hasSuffix("HTTP 401") && !refreshedAfterUnauthorized:
                // The access token was revoked or expired early: refresh once, then try again.
                refreshedAfterUnauthorized = true
                token?.accessToken = nil
            case .failure(let failure) where failure.transient && attempt < retry.attempts:
                try? await Task.sleep(for: retry.delay(beforeRetry: attempt))
                attempt += 1
            case .failure(let failure):
                throw FetchFailure(
                    failure.transient ? "\(failure.reason) (gave up after \(attempt) attempts)" : failure.reason, transient: failure.transient)
            }
        }
    }

    /// One GET: the entity, or a failure saying whether it is worth retrying.
    private func get(_ url: URL, accessToken: String, what: String) async throws -> Result<JSONValue, FetchFailure> {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.headers.add(name: "Authorization", value: "Bearer \(accessToken)")
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await client.execute(request, timeout: .seconds(15))
        let body = try await response.body.collect(upTo: 4 << 20)
        switch response.status.code {
        case 200:
            do {
                return .success(try JSONValue.parse(Data(body.readableBytesView)))
            } catch {
                return .failure(FetchFailure("QuickBooks answered \(what) with a body that is not JSON", transient: false))
            }
        case 401:
            return .failure(FetchFailure("QuickBooks refused the access token for \(what): HTTP 401", transient: true))
        case 408, 429, 500...599:
            return .failure(FetchFailure("QuickBooks could not serve \(what): HTTP \(response.status.code)", transient: true))
        default:
            return .failure(FetchFailure("QuickBooks refused \(what): HTTP \(response.status.code)", transient: false))
        }
    }

    /// An access token valid for at least another minute, refreshing it if needed.
    private func validAccessToken() async throws -> String {
        if token == nil {
            token = try await store.vendorState.oauthToken(named: tokenName) ?? OAuthToken(refreshToken: credentials.refreshToken.value)
        }
        if let access = token?.accessToken, let expires = token?.accessExpiresAt, expires > Date().addingTimeInterval(60) {
            return access
        }
        return try await refresh()
    }

    private func refresh() async throws -> String {
        struct TokenResponse: Decodable {
            var access_token: String
            var refresh_token: String
            var expires_in: Int
        }
        var form = URLComponents()
        form.queryItems = [
            URLQueryItem(name: "grant_type", value: "refresh_token"), URLQueryItem(name: "refresh_token", value: token?.refreshToken ?? ""),
        ]
        var request = HTTPClientRequest(url: credentials.tokenURL.absoluteString)
        request.method = .POST
        let basic = Data("\(credentials.clientID):\(credentials.clientSecret.value)".utf8).base64EncodedString()
        request.headers.add(name: "Authorization", value: "Basic \(basic)")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: form.percentEncodedQuery ?? ""))
        let response = try await client.execute(request, timeout: .seconds(15))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            // 400 invalid_grant means the refresh token is dead: only the operator can fix it.
            let transient = response.status.code >= 500 || response.status.code == 429
            throw FetchFailure(
                "QuickBooks token refresh failed: HTTP \(response.status.code)"
                    + (transient ? "" : "; reconnect the app and set GATEWAY_QUICKBOOKS_REFRESH_TOKEN"), transient: transient)
        }
        guard let decoded = try? JSONDecoder().decode(TokenResponse.self, from: Data(body.readableBytesView)) else {
            throw FetchFailure("QuickBooks token refresh answered with an unreadable body", transient: false)
        }
        let fresh = OAuthToken(
            refreshToken: decoded.refresh_token, accessToken: decoded.access_token,
            accessExpiresAt: Date().addingTimeInterval(TimeInterval(decoded.expires_in)))
        token = fresh
        try await store.vendorState.saveOAuthToken(fresh, named: tokenName, at: Date())
        return decoded.access_token
    }
}
