public import AsyncHTTPClient
public import Foundation
public import GatewayAdapters
import NIOCore

/// The ConnectWise PSA (Manage) REST API with an API member's keys, for the backfill: a list
/// endpoint (`/finance/agreements`, `/company/companies`) page by page with `conditions`, the
/// `orderBy` that keeps the pages stable, `page` and `pageSize`. Transient failures are retried as
/// the caller's policy says; a refused key is final.
public struct ConnectWiseClient: Sendable {
    /// What the operator configures (`GATEWAY_CONNECTWISE_API_BASE`, `_API_COMPANY_ID`,
    /// `_API_PUBLIC_KEY`, `_API_PRIVATE_KEY`, `_API_CLIENT_ID`).
    public struct Credentials: Sendable {
        /// The REST root, e.g. `https://api-na.myconnectwise.net/v4_6_release/apis/3.0`.
        public var apiBase: URL
        /// The PSA's login company id: the `CompanyId` its callbacks carry, and the first part of
        /// the API member's user name.
        public var companyID: String
        public var publicKey: Secret
        public var privateKey: Secret
        /// The integration's `clientId` from the ConnectWise developer portal.
        public var clientID: String

        public init(apiBase: URL, companyID: String, publicKey: Secret, privateKey: Secret, clientID: String) {
            self.apiBase = apiBase
            self.companyID = companyID
            self.publicKey = publicKey
            self.privateKey = privateKey
            self.clientID = clientID
        }
    }

    public let credentials: Credentials
    private let client: HTTPClient

    public init(credentials: Credentials, client: HTTPClient) {
        self.credentials = credentials
        self.client = client
    }

    /// One page of `path`'s records matching `conditions`, in id order: a JSON array (shorter than
    /// `pageSize` on the last page).
    ///
    /// - Parameter what: names the list in reasons (`the agreements list`).
    func page(
        _ path: String, conditions: String, page: Int, pageSize: Int, what: String, retry: RetryPolicy
    ) async throws(FetchFailure) -> [JSONValue] {
        // Encoded by hand: conditions hold `>=`, brackets and `+` offsets.
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        func encoded(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text }
        let query = "conditions=\(encoded(conditions))&orderBy=\(encoded("id asc"))&page=\(page)&pageSize=\(pageSize)"
        guard let url = URL(string: credentials.apiBase.appendingPathComponent(path).absoluteString + "?" + query) else {
            throw FetchFailure("\(what) could not be written as a URL", transient: false)
        }
        // `<company>+<public key>:<private key>`: the API member's keys, as ConnectWise's REST API takes them.
        let basic = Data("\(credentials.companyID)+\(credentials.publicKey.value):\(credentials.privateKey.value)".utf8).base64EncodedString()
        let headers = [("Authorization", "Basic \(basic)"), ("clientId", credentials.clientID)]
        let answer: JSONValue
        do {
            answer = try await retry.run {
                await VendorRequest.json(
                    url, headers: headers, vendor: "ConnectWise", what: what, unauthorizedIsTransient: false, client: client, maxBytes: 32 << 20,
                    timeout: .seconds(60), message: { $0.value(at: FieldPath("message"))?.scalarText })
            }
        } catch where [401, 403].contains(error.status) {
            throw FetchFailure(
                "\(error.reason) (check GATEWAY_CONNECTWISE_API_COMPANY_ID, GATEWAY_CONNECTWISE_API_PUBLIC_KEY, GATEWAY_CONNECTWISE_API_PRIVATE_KEY and "
                    + "GATEWAY_CONNECTWISE_API_CLIENT_ID)", transient: false, status: error.status)
        }
        guard case .array(let records) = answer else {
            throw FetchFailure("ConnectWise answered \(what) with something other than a list", transient: false)
        }
        return records
    }
}
