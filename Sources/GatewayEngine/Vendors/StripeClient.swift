public import AsyncHTTPClient
public import Foundation
public import GatewayAdapters
import NIOCore
import NIOHTTP1

/// The Stripe API, for what a refund or dispute event leaves out since API version basil: the
/// invoice its charge paid, found through the invoice payments of the charge's PaymentIntent.
/// Transient failures (timeouts, 429, 5xx) are retried with backoff, as QuickBooks' are.
public struct StripeClient: EntityFetcher {
    /// What the operator configures (`GATEWAY_STRIPE_API_KEY`, `GATEWAY_STRIPE_API_BASE`).
    public struct Credentials: Sendable {
        /// A restricted key with read access to invoices is enough.
        public var apiKey: Secret
        public var apiBase: URL
        /// The API version the answers are read in: basil is the first with invoice payments.
        public var apiVersion: String

        public init(apiKey: Secret, apiBase: URL = URL(string: "https://api.stripe.com")!, apiVersion: String = "2025-03-31.basil") {
            self.apiKey = apiKey
            self.apiBase = apiBase
            self.apiVersion = apiVersion
        }
    }

    public let connector = "stripe"
    private let credentials: Credentials
    private let client: HTTPClient
    private let retry: RetryPolicy

    public init(credentials: Credentials, client: HTTPClient, retry: RetryPolicy = RetryPolicy()) {
        self.credentials = credentials
        self.client = client
        self.retry = retry
    }

    /// `invoice_payment` by PaymentIntent id: the list of the PaymentIntent's invoice payments,
    /// each with its invoice expanded (so the customer comes with it).
    public func fetch(_ request: EnrichmentRequest) async throws(FetchFailure) -> JSONValue {
        guard request.entity == "invoice_payment" else {
            throw FetchFailure("the Stripe client cannot fetch \(request.entity)", transient: false)
        }
        var url = credentials.apiBase.appendingPathComponent("v1/invoice_payments")
        url.append(queryItems: [
            URLQueryItem(name: "payment[type]", value: "payment_intent"), URLQueryItem(name: "payment[payment_intent]", value: request.id),
            URLQueryItem(name: "expand[]", value: "data.invoice"),
        ])
        let what = "the invoice payments of \(request.id)"
        var attempt = 1
        while true {
            let outcome: Result<JSONValue, FetchFailure>
            do {
                outcome = try await get(url, account: request.account, what: what)
            } catch {
                outcome = .failure(FetchFailure("\(what): \(type(of: error))", transient: true))
            }
            switch outcome {
            case .success(let list): return list
            case .failure(let failure) where failure.transient && attempt < retry.attempts:
                try? await Task.sleep(for: retry.delay(beforeRetry: attempt))
                attempt += 1
            case .failure(let failure):
                throw FetchFailure(
                    failure.transient ? "\(failure.reason) (gave up after \(attempt) attempts)" : failure.reason, transient: failure.transient)
            }
        }
    }

    /// One GET, as the connected account when the event came from one.
    private func get(_ url: URL, account: String, what: String) async throws -> Result<JSONValue, FetchFailure> {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.headers.add(name: "Authorization", value: "Bearer \(credentials.apiKey.value)")
        request.headers.add(name: "Stripe-Version", value: credentials.apiVersion)
        if account != "-" { request.headers.add(name: "Stripe-Account", value: account) }
        let response = try await client.execute(request, timeout: .seconds(15))
        let body = try await response.body.collect(upTo: 4 << 20)
        switch response.status.code {
        case 200:
            guard let list = try? JSONValue.parse(Data(body.readableBytesView)) else {
                return .failure(FetchFailure("Stripe answered \(what) with a body that is not JSON", transient: false))
            }
            return .success(list)
        case 408, 429, 500...599:
            return .failure(FetchFailure("Stripe could not serve \(what): HTTP \(response.status.code)", transient: true))
        default:
            // 401: a wrong or revoked key; 403: a restricted key without invoice access.
            return .failure(FetchFailure("Stripe refused \(what): HTTP \(response.status.code)", transient: false))
        }
    }
}
