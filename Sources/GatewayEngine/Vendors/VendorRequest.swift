import AsyncHTTPClient
import Foundation
import GatewayAdapters
import NIOCore
import NIOHTTP1

/// One GET of a vendor API's JSON, and the retry loop every vendor client shares: what the
/// status says (worth retrying or not) and how long to wait, in one place.
enum VendorRequest {
    /// The JSON at `url`, or a failure saying whether it is worth retrying. 408, 429 and 5xx are
    /// transient; 401 is transient only where the caller can do something about it (refresh an
    /// OAuth token), otherwise a wrong key is final.
    static func json(
        _ url: URL, headers: [(String, String)], vendor: String, what: String, unauthorizedIsTransient: Bool, client: HTTPClient
    ) async -> Result<JSONValue, FetchFailure> {
        do {
            var request = HTTPClientRequest(url: url.absoluteString)
            request.headers.add(name: "Accept", value: "application/json")
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            let response = try await client.execute(request, timeout: .seconds(15))
            let body = try await response.body.collect(upTo: 4 << 20)
            switch response.status.code {
            case 200:
                guard let value = try? JSONValue.parse(Data(body.readableBytesView)) else {
                    return .failure(FetchFailure("\(vendor) answered \(what) with a body that is not JSON", transient: false))
                }
                return .success(value)
            case 401:
                return .failure(FetchFailure("\(vendor) refused the credentials for \(what): HTTP 401", transient: unauthorizedIsTransient))
            case 408, 429, 500...599:
                return .failure(FetchFailure("\(vendor) could not serve \(what): HTTP \(response.status.code)", transient: true))
            default:
                return .failure(FetchFailure("\(vendor) refused \(what): HTTP \(response.status.code)", transient: false))
            }
        } catch {
            return .failure(FetchFailure("\(what): \(type(of: error))", transient: true))
        }
    }
}

extension RetryPolicy {
    /// Runs `attempt` until it succeeds, fails for good, or the attempts are spent, waiting with
    /// backoff between transient failures. `recover` may handle a failure once by itself (an OAuth
    /// client refreshing its token after a 401) and ask for another try without spending one.
    func run<Value>(
        isolation: isolated (any Actor)? = #isolation, _ attempt: () async -> Result<Value, FetchFailure>,
        recover: (FetchFailure) async -> Bool = { _ in false }
    ) async throws(FetchFailure) -> Value {
        var tries = 1
        var recovered = false
        while true {
            let outcome = await attempt()
            if case .failure(let failure) = outcome, !recovered, await recover(failure) {
                recovered = true
                continue
            }
            switch outcome {
            case .success(let value):
                return value
            case .failure(let failure) where failure.transient && tries < attempts:
                try? await Task.sleep(for: delay(beforeRetry: tries))
                tries += 1
            case .failure(let failure):
                throw FetchFailure(
                    failure.transient ? "\(failure.reason) (gave up after \(tries) attempts)" : failure.reason, transient: failure.transient)
            }
        }
    }
}
