import Foundation
import GatewayAdapters
import GatewayCore
import GatewayEngine
import GatewayRepositories
import HTTPTypes
import Hummingbird
import Logging

/// `POST /webhooks/{source}`: size guard, signature check on the raw bytes, durable store, and
/// only then 200. Everything a vendor can be told is in `APIError`.
struct WebhookController: Sendable {
    let configuration: GatewayConfiguration
    let adapters: AdapterCatalog
    let store: any Repositories
    let rejections: RejectionLog
    let processor: DeliveryProcessor
    let keyFetcher: SigningKeyFetcher?
    let rateLimiter = RateLimiter()
    let metrics: GatewayMetrics

    func addRoutes(to router: Router<GatewayRequestContext>) {
        router.post("/webhooks/{source}", use: receive)
    }

    /// What a vendor reads in a 200: `{"delivery_id":N,"result":"stored"}` or `"duplicate"`.
    ///
    /// Written straight into the buffer, not through an encoder: every verified delivery answers
    /// with one of these two shapes, and the only variable part is an integer.
    struct Receipt {
        var result: Result
        var deliveryID: DeliveryID

        enum Result: String {
            case stored, duplicate
        }

        var response: Response {
            var buffer = ByteBuffer()
            buffer.writeStaticString("{\"delivery_id\":")
            buffer.writeString(String(deliveryID.rawValue))
            buffer.writeStaticString(result == .stored ? ",\"result\":\"stored\"}" : ",\"result\":\"duplicate\"}")
            return Response(status: .ok, headers: Self.headers, body: .init(byteBuffer: buffer))
        }

        private static let headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
    }

    @Sendable func receive(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let source = context.parameters.get("source") ?? ""
        var logger = context.logger
        logger[metadataKey: "source"] = "\(source)"
        let started = ContinuousClock.now
        // Xero wants no body at all, not even on a refusal; its reason is still logged and kept below.
        let emptyResponses = adapters[source]?.definition.emptyResponses == true
        do {
            let receipt = try await accept(request, source: source, context: context, logger: logger)
            metrics.ingestLatency(source, ContinuousClock.now - started)
            return emptyResponses ? Response(status: .ok) : receipt.response
        } catch let error as APIError {
            metrics.rejected(adapters[source] == nil ? "unknown" : source, reason: error.code)
            logger.notice(
                "webhook refused",
                metadata: ["status": "\(error.status.code)", "error": "\(error.code)", "reason": "\(error.reason)"])
            // Kept as metadata only, so "why did the vendor get a 401?" has an answer.
            let size = request.headers[.contentLength].flatMap(Int.init)
            // An unknown source is kept as "unknown" (its name is in the reason): random paths
            // must not grow the counts' keys.
            rejections.record(
                Rejection(
                    at: configuration.now(), source: adapters[source] == nil ? "unknown" : source, code: error.code, reason: error.reason, status: error.status.code, size: size,
                    remoteAddress: context.remoteAddress?.ipAddress, requestID: context.requestID))
            if (400..<500).contains(error.status.code), configuration.refusalPause > .zero {
                try? await Task.sleep(for: configuration.refusalPause)
            }
            if emptyResponses { return Response(status: error.status, headers: error.headers) }
            throw error
        }
    }

    private func accept(_ request: Request, source: String, context: GatewayRequestContext, logger: Logger) async throws -> Receipt {
        guard let adapter = adapters[source] else {
            throw APIError(.notFound, "unknown_source", "no adapter is loaded for source '\(source)'")
        }
        guard !(adapter.scheme is PollerScheme) else {
            throw APIError(.notFound, "not_a_webhook_source", "'\(source)' is fed by the gateway's poller and accepts no webhooks")
        }
        metrics.received(source)
        let policy = configuration.policy(for: source)
        if !policy.allowedNetworks.isEmpty {
            let peer = context.remoteAddress?.ipAddress ?? ""
            guard policy.allowedNetworks.contains(where: { $0.contains(peer) }) else {
                throw APIError(.forbidden, "address_not_allowed", "\(peer.isEmpty ? "this address" : peer) may not post to '\(source)'")
            }
        }
        if let rate = policy.requestsPerSecond, !rateLimiter.allow(source, rate: rate, burst: policy.burst) {
            // The time one token takes to come back, in whole seconds.
            let wait = max(1, Int((1 / rate).rounded(.up)))
            throw APIError(
                .tooManyRequests, "rate_limited", "'\(source)' is limited to \(rate) requests a second; retry after \(wait) s",
                headers: [.retryAfter: "\(wait)"])
        }
        let secrets = configuration.secrets[source] ?? []
        guard !secrets.isEmpty || (adapter.scheme.fetchesSigningKeys && keyFetcher != nil) else {
            // Fail closed, but retryable: once the operator sets the secret, the vendor's retries land.
            throw APIError(
                .serviceUnavailable, SignatureFailure.Code.noSecretConfigured.rawValue,
                "the gateway has no signing secret for '\(source)'; set \(Secret.environmentVariable(for: source))")
        }
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > policy.maxBodyBytes {
            throw Self.tooLarge(policy.maxBodyBytes)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: policy.maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw Self.tooLarge(policy.maxBodyBytes)
        }
        let body = Data(buffer.readableBytesView)
        let headers = HeaderValues(request.headers.map { ($0.name.canonicalName, $0.value) })

        let verification: Verification
        do {
            verification = try await verify(body, headers: headers, secrets: secrets, with: adapter)
        } catch {
            throw APIError(error)
        }

        let identity = adapter.identify(body, headers: headers)
        let outcome: IngestOutcome
        do {
            outcome = try await store.inbox.ingest(
                IncomingDelivery(
                    source: source, vendorDeliveryID: identity.vendorDeliveryID, eventType: identity.eventType,
                    receivedAt: configuration.now(), requestID: context.requestID, body: body,
                    headers: headers.keeping(adapter.definition.keptHeaders).values, verification: verification))
        } catch let error as GatewayError {
            throw error
        } catch {
            // The store could not commit (PostgreSQL unreachable, disk full): nothing is
            // acknowledged, and a 503 makes the vendor send it again.
            logger.error("a verified delivery could not be stored; answered 503 so the vendor retries", metadata: ["error": "\(error)"])
            throw APIError(
                .serviceUnavailable, "store_unavailable", "the delivery could not be stored and is not acknowledged; send it again",
                headers: [.retryAfter: "30"])
        }
        switch outcome {
        case .stored(let id):
            metrics.stored(source, duplicate: false)
            processor.wake()
            logger.debug("webhook stored", metadata: ["delivery": "\(id)", "event_type": "\(identity.eventType ?? "-")"])
            return Receipt(result: .stored, deliveryID: id)
        case .duplicate(let id):
            metrics.stored(source, duplicate: true)
            logger.debug("webhook duplicate", metadata: ["delivery": "\(id)"])
            return Receipt(result: .duplicate, deliveryID: id)
        }
    }

    /// Checks the signature with the configured secrets, or, for a scheme that names its key in
    /// the body, with the key fetched from the allow-listed URL (re-fetched once if a cached key
    /// no longer matches, as after a key rotation).
    private func verify(
        _ body: Data, headers: HeaderValues, secrets: [Secret], with adapter: Adapter
    ) async throws(SignatureFailure) -> Verification {
        let now = configuration.now()
        guard secrets.isEmpty, let keyFetcher, let url = try adapter.scheme.keyLocation(in: body) else {
            return try adapter.verify(body: body, headers: headers, secrets: secrets, now: now)
        }
        let (key, cached) = try await keyFetcher.key(at: url)
        do {
            return try adapter.verify(body: body, headers: headers, secrets: [key], now: now)
        } catch where error.code == .noSignatureMatched && cached {
            let (fresh, _) = try await keyFetcher.key(at: url, refresh: true)
            return try adapter.verify(body: body, headers: headers, secrets: [fresh], now: now)
        }
    }

    private static func tooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, "body_too_large", "the body exceeds this source's limit of \(limit) bytes")
    }
}
