public import AsyncHTTPClient
public import Foundation
public import GatewayAdapters
public import NIOCore
import NIOHTTP1

/// Fetches signing keys a vendor names in its payloads (ConnectWise's `key_url`), after the
/// adapter has checked the URL against its allow-list. Redirects are never followed (the client
/// is built with redirects off), responses are capped, and keys are cached per URL for a bounded
/// time so a burst of callbacks costs one request.
public actor SigningKeyFetcher {
    private struct Entry {
        var key: Secret
        var expires: ContinuousClock.Instant
    }

    private let client: HTTPClient
    private let timeToLive: Duration
    private let timeout: TimeAmount
    private let maxEntries: Int
    private var cache: [URL: Entry] = [:]
    /// Requests sent, for tests and metrics.
    public private(set) var fetchCount = 0

    /// - Parameter client: must not follow redirects (`HTTPClient.Configuration.redirectConfiguration = .disallow`).
    public init(client: HTTPClient, timeToLive: Duration = .seconds(600), timeout: TimeAmount = .seconds(10), maxEntries: Int = 1024) {
        self.client = client
        self.timeToLive = timeToLive
        self.timeout = timeout
        self.maxEntries = maxEntries
    }

    /// The configuration every key-fetching client needs: no redirects, short timeouts.
    public static var clientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(10))
        return configuration
    }

    /// The key at `url`, from the cache unless `refresh` or expired.
    ///
    /// - Returns: the key, and whether it came from the cache.
    public func key(at url: URL, refresh: Bool = false) async throws(SignatureFailure) -> (Secret, cached: Bool) {
        let now = ContinuousClock.now
        if !refresh, let entry = cache[url], entry.expires > now {
            return (entry.key, true)
        }
        let key = try await fetch(url)
        if cache.count >= maxEntries, let oldest = cache.min(by: { $0.value.expires < $1.value.expires })?.key {
            cache[oldest] = nil
        }
        cache[url] = Entry(key: key, expires: now + timeToLive)
        return (key, false)
    }

    private func fetch(_ url: URL) async throws(SignatureFailure) -> Secret {
        fetchCount += 1
        struct KeyResponse: Decodable {
            var signing_key: String
        }
        do {
            var request = HTTPClientRequest(url: url.absoluteString)
            request.method = .GET
            request.headers.add(name: "Accept", value: "application/json")
            let response = try await client.execute(request, timeout: timeout)
            guard response.status == .ok else {
                throw SignatureFailure(.signingKeyUnavailable, "the key URL answered \(response.status.code)")
            }
            let body = try await response.body.collect(upTo: 64 * 1024)
            let decoded = try JSONDecoder().decode(KeyResponse.self, from: Data(body.readableBytesView))
            guard !decoded.signing_key.isEmpty else { throw SignatureFailure(.signingKeyUnavailable, "the key URL served an empty key") }
            return Secret(decoded.signing_key)
        } catch let failure as SignatureFailure {
            throw failure
        } catch {
            throw SignatureFailure(.signingKeyUnavailable, "the signing key could not be fetched (\(type(of: error)))")
        }
    }
}
