public import GatewayAdapters

/// Fetches entities a thin notification names, from the vendor's API.
public protocol EntityFetcher: Sendable {
    /// The connector it serves (`quickbooks`).
    var connector: String { get }

    /// The entity's JSON as the API returns it.
    func fetch(_ request: EnrichmentRequest) async throws(FetchFailure) -> JSONValue
}

/// A fetch that did not succeed. `transient` failures (timeouts, 5xx, 429) were already retried
/// with backoff before being reported.
public struct FetchFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public var transient: Bool
    /// The HTTP status the vendor answered, when it answered.
    public var status: Int?
    /// How long a 429 asked the client to wait (its `Retry-After`), when it did.
    public var retryAfter: Duration?

    public init(_ reason: String, transient: Bool, status: Int? = nil, retryAfter: Duration? = nil) {
        self.reason = reason
        self.transient = transient
        self.status = status
        self.retryAfter = retryAfter
    }

    public var description: String { reason }
}

/// How often and how patiently a vendor call is retried: exponential backoff with jitter.
public struct RetryPolicy: Sendable, Hashable {
    public var attempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// How many 429s one call waits out for their `Retry-After` before they count as failed
    /// attempts; 0 (the default) treats a 429 like any transient failure, with backoff.
    public var rateLimitWaits: Int
    /// The longest a `Retry-After` is waited; a longer one waits this long.
    public var maxRetryAfter: Duration

    public init(
        attempts: Int = 4, baseDelay: Duration = .milliseconds(250), maxDelay: Duration = .seconds(5), rateLimitWaits: Int = 0,
        maxRetryAfter: Duration = .seconds(60)
    ) {
        self.attempts = max(1, attempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.rateLimitWaits = max(0, rateLimitWaits)
        self.maxRetryAfter = maxRetryAfter
    }

    /// The wait before retry number `retry` (1 for the first retry): base × 2^(retry−1), capped,
    /// scaled by a random factor in [0.5, 1] so many clients do not retry in step.
    public func delay(beforeRetry retry: Int) -> Duration {
        let exponential = baseDelay * (1 << min(retry - 1, 20))
        let capped = min(exponential, maxDelay)
        return capped * Double.random(in: 0.5...1.0)
    }
}
