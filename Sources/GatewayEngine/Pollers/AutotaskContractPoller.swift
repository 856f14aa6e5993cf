public import AsyncHTTPClient
public import Foundation
public import GatewayAdapters
import GatewayCore
public import GatewayRepositories
public import Logging
import NIOCore
import NIOHTTP1
public import ServiceLifecycle

/// Autotask has no contract webhooks, so this service asks its REST API for contracts created
/// since its cursor (ids above the highest seen) and puts each one in the inbox as a delivery of
/// the `autotask-contracts` source: listed, processed, retried and replayable like a webhook.
///
/// The cursor moves only after every page is stored; a crash in between re-polls, and the inbox's
/// deduplication (one delivery per contract id) keeps that harmless.
public final class AutotaskContractPoller: Service, Sendable {
    /// What the operator configures (`GATEWAY_AUTOTASK_*`).
    public struct Credentials: Sendable {
        /// The zone's REST root, e.g. `https://webservices5.autotask.net/atservicesrest`.
        public var apiBase: URL
        public var integrationCode: String
        public var userName: String
        public var secret: Secret

        public init(apiBase: URL, integrationCode: String, userName: String, secret: Secret) {
            self.apiBase = apiBase
            self.integrationCode = integrationCode
            self.userName = userName
            self.secret = secret
        }
    }

    /// The inbox source polled contracts are stored under.
    public static let source = "autotask-contracts"

    private let credentials: Credentials
    private let client: HTTPClient
    private let store: any Repositories
    private let processor: DeliveryProcessor?
    private let interval: Duration
    private let pageSize: Int
    private let retry: RetryPolicy
    private let logger: Logger

    public init(
        credentials: Credentials, client: HTTPClient, store: any Repositories, processor: DeliveryProcessor?,
        interval: Duration = .seconds(300), pageSize: Int = 500, retry: RetryPolicy = RetryPolicy(), logger: Logger
    ) {
        self.credentials = credentials
        self.client = client
        self.store = store
        self.processor = processor
        self.interval = interval
        self.pageSize = min(max(pageSize, 1), 500)
        self.retry = retry
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                let stored = try await pollOnce()
                if stored > 0 { logger.info("autotask contracts polled", metadata: ["stored": "\(stored)"]) }
            } catch {
                logger.warning("autotask contract poll failed; the cursor stays and the next poll retries", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }

    /// One poll: every contract above the cursor, page by page, into the inbox.
    ///
    /// - Returns: how many new deliveries were stored.
    @discardableResult
    public func pollOnce(now: Date = Date()) async throws(FetchFailure) -> Int {
        let cursorName = Self.source
        let cursor: Int64
        do {
            cursor = try await store.vendorState.pollerCursor(named: cursorName).flatMap { Int64($0) } ?? 0
        } catch {
            throw FetchFailure("the poller cursor could not be read: \(error)", transient: true)
        }
        var highest = cursor
        var stored = 0
        let query = #"{"filter":[{"op":"gt","field":"id","value":\#(cursor)}],"maxRecords":\#(pageSize)}"#
        var page = try await request(
            url: credentials.apiBase.appendingPathComponent("v1.0/Contracts/query"), method: .POST, body: query)
        while true {
            guard case .array(let items)? = page.value(at: FieldPath("items")) else {
                throw FetchFailure("Autotask answered the contract query without items", transient: false)
            }
            for item in items {
                guard let id = item.value(at: FieldPath("id"))?.scalarText, let number = Int64(id) else {
                    throw FetchFailure("Autotask returned a contract without an id", transient: false)
                }
                let body: Data
                do {
                    body = try Self.encoder.encode(item)
                    let outcome = try await store.inbox.ingest(
                        IncomingDelivery(
                            source: Self.source, vendorDeliveryID: id, eventType: "contract.created", receivedAt: now, requestID: nil,
                            body: body, headers: [:], verification: PollerScheme.verification))
                    if case .stored = outcome { stored += 1 }
                } catch {
                    throw FetchFailure("contract \(id) could not be stored: \(error)", transient: true)
                }
                highest = max(highest, number)
            }
            guard let next = page.value(at: FieldPath("pageDetails.nextPageUrl"))?.scalarText, !next.isEmpty,
                let nextURL = URL(string: next, relativeTo: credentials.apiBase)?.absoluteURL
            else { break }
            page = try await request(url: nextURL, method: .GET, body: nil)
        }
        if highest > cursor {
            do {
                try await store.vendorState.savePollerCursor(String(highest), named: cursorName, at: now)
            } catch {
                throw FetchFailure("the poller cursor could not be saved: \(error)", transient: true)
            }
        }
        if stored > 0 { processor?.wake() }
        return stored
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    /// One API call, retried with backoff on 429, 5xx and network errors.
    private func request(url: URL, method: HTTPMethod, body: String?) async throws(FetchFailure) -> JSONValue {
        var attempt = 1
        while true {
            let failure: FetchFailure
            do {
                var request = HTTPClientRequest(url: url.absoluteString)
                request.method = method
                request.headers.add(name: "ApiIntegrationCode", value: credentials.integrationCode)
                request.headers.add(name: "UserName", value: credentials.userName)
                request.headers.add(name: "Secret", value: credentials.secret.value)
                request.headers.add(name: "Accept", value: "application/json")
                if let body {
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(string: body))
                }
                let response = try await client.execute(request, timeout: .seconds(30))
                let data = Data(try await response.body.collect(upTo: 16 << 20).readableBytesView)
                let document = try? JSONValue.parse(data)
                if response.status == .ok, let document { return document }
                let messages = Self.errorMessages(document)
                let transient = response.status.code == 429 || response.status.code >= 500
                failure = FetchFailure("Autotask answered HTTP \(response.status.code)\(messages.map { ": \($0)" } ?? "")", transient: transient)
            } catch {
                failure = FetchFailure("Autotask could not be reached (\(type(of: error)))", transient: true)
            }
            guard failure.transient, attempt < retry.attempts else { throw failure }
            try? await Task.sleep(for: retry.delay(beforeRetry: attempt))
            attempt += 1
        }
    }

    /// `{"errors": [{"message": …}]}`, Autotask's error shape.
    private static func errorMessages(_ document: JSONValue?) -> String? {
        guard case .array(let errors)? = document?.value(at: FieldPath("errors")) else { return nil }
        let messages = errors.compactMap { $0.value(at: FieldPath("message"))?.scalarText }
        return messages.isEmpty ? nil : messages.joined(separator: "; ")
    }
}
