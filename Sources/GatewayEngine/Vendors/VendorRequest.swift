import AsyncHTTPClient
import Foundation
import GatewayAdapters
import NIOCore
import NIOHTTP1

/// One call for a vendor API's JSON, and the retry loop every vendor client shares: what the
/// status says (worth retrying or not, how long a 429 asks to wait) and how long to wait, in one
/// place.
enum VendorRequest {
    /// The JSON at `url`, or a failure saying whether it is worth retrying. 408, 429 and 5xx are
    /// transient; 401 is transient only where the caller can do something about it (refresh an
    /// OAuth token), otherwise a wrong key is final.
    ///
    /// - Parameters:
    ///   - body: sent as `application/json` (Autotask's query is a POST).
    ///   - message: the vendor's own words in an error body, added to the reason (never a
    ///     credential: callers read only a message field).
    static func json(
        _ url: URL, method: HTTPMethod = .GET, body: Data? = nil, headers: [(String, String)], vendor: String, what: String,
        unauthorizedIsTransient: Bool, client: HTTPClient, maxBytes: Int = 4 << 20, timeout: TimeAmount = .seconds(15),
        message: (JSONValue) -> String? = { _ in nil }
    ) async -> Result<JSONValue, FetchFailure> {
        do {
            var request = HTTPClientRequest(url: url.absoluteString)
            request.method = method
            request.headers.add(name: "Accept", value: "application/json")
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            let response = try await client.execute(request, timeout: timeout)
            let data = Data(try await response.body.collect(upTo: maxBytes).readableBytesView)
            let code = Int(response.status.code)
            if code == 200 {
                guard let value = try? JSONValue.parse(data) else {
                    return .failure(FetchFailure("\(vendor) answered \(what) with a body that is not JSON", transient: false, status: code))
                }
                return .success(value)
            }
            let said = (try? JSONValue.parse(data)).flatMap(message).map { ": \($0.prefix(200))" } ?? ""
            switch code {
            case 401:
                return .failure(
                    FetchFailure("\(vendor) refused the credentials for \(what): HTTP 401\(said)", transient: unauthorizedIsTransient, status: code))
            case 429:
                return .failure(
                    FetchFailure(
                        "\(vendor) rate-limited \(what): HTTP 429\(said)", transient: true, status: code,
                        retryAfter: retryAfter(response.headers.first(name: "Retry-After"))))
            case 408, 500...599:
                return .failure(FetchFailure("\(vendor) could not serve \(what): HTTP \(code)\(said)", transient: true, status: code))
            default:
                return .failure(FetchFailure("\(vendor) refused \(what): HTTP \(code)\(said)", transient: false, status: code))
            }
        } catch {
            return .failure(FetchFailure("\(what): \(type(of: error))", transient: true))
        }
    }

    /// A `Retry-After` of seconds; one second when it is missing or a date (vendors pacing an API
    /// client send seconds).
    static func retryAfter(_ header: String?) -> Duration {
        guard let seconds = header.flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }), seconds.isFinite else { return .seconds(1) }
        return .milliseconds(Int64(max(seconds, 0) * 1000))
    }
}

extension RetryPolicy {
    /// Runs `attempt` until it succeeds, fails for good, or the attempts are spent, waiting with
    /// backoff between transient failures, or for as long as a 429's `Retry-After` asks when the
    /// policy waits out rate limits. `recover` may handle a failure once by itself (an OAuth
    /// client refreshing its token after a 401) and ask for another try without spending one.
    func run<Value>(
        isolation: isolated (any Actor)? = #isolation, _ attempt: () async -> Result<Value, FetchFailure>,
        recover: (FetchFailure) async -> Bool = { _ in false }
    ) async throws(FetchFailure) -> Value {
        var tries = 1
        var recovered = false
        // A 429 is the vendor pacing the client, not a failure: waited out apart from the
        // attempts, up to a limit so a client rate-limited for good still ends.
        var rateLimits = 0
        while true {
            let outcome = await attempt()
            if case .failure(let failure) = outcome, !recovered, await recover(failure) {
                recovered = true
                continue
            }
            switch outcome {
            case .success(let value):
                return value
            case .failure(let failure) where failure.retryAfter != nil && rateLimits < rateLimitWaits:
                rateLimits += 1
                try? await Task.sleep(for: min(failure.retryAfter!, maxRetryAfter))
            case .failure(let failure) where failure.transient && tries < attempts:
                try? await Task.sleep(for: delay(beforeRetry: tries))
                tries += 1
            case .failure(let failure):
                throw FetchFailure(
                    failure.transient ? "\(failure.reason) (gave up after \(tries) attempts)" : failure.reason, transient: failure.transient,
                    status: failure.status)
            }
        }
    }
}
