import AsyncHTTPClient
import Foundation
import GatewayAdapters
import GatewayRepositories
import NIOCore
import NIOHTTP1

/// A vendor API reached with OAuth 2 (QuickBooks, Xero): access tokens refreshed with the refresh
/// token when they expire (and once more on a 401), the refresh token the vendor rotates saved in
/// the store so a restart does not fall back to a spent one, and transient failures retried with
/// backoff. The vendor clients build the URLs; this owns the token and the GET.
actor OAuthAPIConnection {
    /// How reasons name the vendor (`QuickBooks`).
    private let vendor: String
    private let app: any OAuthAppCredentials
    /// The key the rotated token is saved under in the store (`quickbooks:<realm>`).
    private let tokenName: String
    private let client: HTTPClient
    private let store: any Repositories
    private let retry: RetryPolicy
    private var token: OAuthToken?
    /// The access token the API last refused, never taken back from the store.
    private var rejectedAccessToken: String?

    init(vendor: String, app: any OAuthAppCredentials, tokenName: String, client: HTTPClient, store: any Repositories, retry: RetryPolicy) {
        self.vendor = vendor
        self.app = app
        self.tokenName = tokenName
        self.client = client
        self.store = store
        self.retry = retry
    }

    /// What the operator sets after reconnecting the app (`GATEWAY_QUICKBOOKS_REFRESH_TOKEN`).
    private var refreshTokenVariable: String { "GATEWAY_\(vendor.uppercased())_REFRESH_TOKEN" }

    /// The JSON at `url`, fetched with a valid access token and `headers`; `what` names it in reasons.
    ///
    /// - Parameter retry: how this call is retried, when not as the connection's other calls are
    ///   (a backfill waits out 429s for their `Retry-After`).
    func get(_ url: URL, headers: [(String, String)] = [], what: String, retry: RetryPolicy? = nil) async throws(FetchFailure) -> JSONValue {
        // A 401 is worth one refresh of the access token; a 401 to the fresh one is final: the
        // app lost its access (disconnected, or the user's rights changed).
        var refreshed = false
        return try await (retry ?? self.retry).run {
            let accessToken: String
            do {
                accessToken = try await validAccessToken()
            } catch let failure as FetchFailure {
                return .failure(failure)
            } catch {
                return .failure(FetchFailure("\(what): \(type(of: error))", transient: true))
            }
            let result = await VendorRequest.json(
                url, headers: [("Authorization", "Bearer \(accessToken)")] + headers, vendor: vendor, what: what, unauthorizedIsTransient: !refreshed,
                client: client, maxBytes: 16 << 20, timeout: .seconds(30))
            if refreshed, case .failure(let failure) = result, failure.status == 401 {
                return .failure(
                    FetchFailure("\(failure.reason); reconnect the app and set \(refreshTokenVariable)", transient: false, status: failure.status))
            }
            return result
        } recover: { failure in
            // The access token was revoked or expired early: refresh once, then try again.
            guard failure.status == 401 else { return false }
            rejectedAccessToken = token?.accessToken
            token?.accessToken = nil
            refreshed = true
            return true
        }
    }

    /// An access token valid for at least another minute, refreshing it if needed.
    private func validAccessToken() async throws -> String {
        if token == nil {
            token = try await store.vendorState.oauthToken(named: tokenName) ?? OAuthToken(refreshToken: app.refreshToken.value)
        }
        if let access = token?.accessToken, let expires = token?.accessExpiresAt, expires > Date().addingTimeInterval(60) {
            return access
        }
        return try await refresh()
    }

    private func refresh() async throws -> String {
        // Another process on the same store (a backfill from the command line beside the server)
        // may have refreshed since this one read the token: the refresh token held here is then
        // spent, and the stored one is the live one.
        if let stored = try await store.vendorState.oauthToken(named: tokenName), stored.refreshToken != token?.refreshToken {
            token = stored
            if let access = stored.accessToken, access != rejectedAccessToken, let expires = stored.accessExpiresAt,
                expires > Date().addingTimeInterval(60)
            {
                return access
            }
        }
        struct TokenResponse: Decodable {
            var access_token: String
            var refresh_token: String
            var expires_in: Int
        }
        var form = URLComponents()
        form.queryItems = [
            URLQueryItem(name: "grant_type", value: "refresh_token"), URLQueryItem(name: "refresh_token", value: token?.refreshToken ?? ""),
        ]
        var request = HTTPClientRequest(url: app.tokenURL.absoluteString)
        request.method = .POST
        let basic = Data("\(app.clientID):\(app.clientSecret.value)".utf8).base64EncodedString()
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
                "\(vendor) token refresh failed: HTTP \(response.status.code)"
                    + (transient ? "" : "; reconnect the app and set \(refreshTokenVariable)"), transient: transient)
        }
        guard let decoded = try? JSONDecoder().decode(TokenResponse.self, from: Data(body.readableBytesView)) else {
            throw FetchFailure("\(vendor) token refresh answered with an unreadable body", transient: false)
        }
        let fresh = OAuthToken(
            refreshToken: decoded.refresh_token, accessToken: decoded.access_token,
            accessExpiresAt: Date().addingTimeInterval(TimeInterval(decoded.expires_in)))
        token = fresh
        try await store.vendorState.saveOAuthToken(fresh, named: tokenName, at: Date())
        return decoded.access_token
    }
}
