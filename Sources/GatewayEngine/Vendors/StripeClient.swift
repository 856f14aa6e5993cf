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
            // Only payments that went through: a canceled or open one paid no invoice.
            URLQueryItem(name: "status", value: "paid"), URLQueryItem(name: "expand[]", value: "data.invoice"),
        ])
        let what = "the invoice payments of \(request.id)"
        var headers = [("Authorization", "Bearer \(credentials.apiKey.value)"), ("Stripe-Version", credentials.apiVersion)]
        // As the connected account, when the event came from one.
        if request.account != "-" { headers.append(("Stripe-Account", request.account)) }
        // 401: a wrong or revoked key; 403: a restricted key without invoice access. Both are final.
        return try await retry.run {
            await VendorRequest.json(url, headers: headers, vendor: "Stripe", what: what, unauthorizedIsTransient: false, client: client)
        }
    }
}
