import Foundation
import GatewayAdapters
import GatewayCore
import GatewayStore
import HTTPTypes
import Hummingbird
import Logging

/// `POST /webhooks/{source}`: size guard, signature check on the raw bytes, durable store, and
/// only then 200. Everything a vendor can be told is in `APIError`.
struct WebhookController: Sendable {
    let configuration: GatewayConfiguration
    let adapters: AdapterCatalog
    let database: GatewayDatabase
    let processor: DeliveryProcessor

    func addRoutes(to router: Router<GatewayRequestContext>) {
        router.post("/webhooks/{source}", use: receive)
    }

    /// What a vendor reads in a 200.
    struct Receipt: Encodable {
        var result: String
        var deliveryID: Int64

        enum CodingKeys: String, CodingKey {
            case result
            case deliveryID = "delivery_id"
        }
    }

    @Sendable func receive(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let source = context.parameters.get("source") ?? ""
        var logger = context.logger
        logger[metadataKey: "source"] = "\(source)"
        do {
            let receipt = try await accept(request, source: source, context: context, logger: logger)
            return try JSONResponse.make(receipt)
        } catch let error as APIError {
            logger.notice(
                "webhook refused",
                metadata: ["status": "\(error.status.code)", "error": "\(error.code)", "reason": "\(error.reason)"])
            throw error
        }
    }

    private func accept(_ request: Request, source: String, context: GatewayRequestContext, logger: Logger) async throws -> Receipt {
        guard let adapter = adapters[source] else {
            throw APIError(.notFound, "unknown_source", "no adapter is loaded for source '\(source)'")
        }
        let secrets = configuration.secrets[source] ?? []
        guard !secrets.isEmpty else {
            // Fail closed, but retryable: once the operator sets the secret, the vendor's retries land.
            throw APIError(
                .serviceUnavailable, SignatureFailure.Code.noSecretConfigured.rawValue,
                "the gateway has no signing secret for '\(source)'; set \(GatewayConfiguration.secretsVariable(for: source))")
        }
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > configuration.maxBodyBytes {
            throw Self.tooLarge(configuration.maxBodyBytes)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: configuration.maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw Self.tooLarge(configuration.maxBodyBytes)
        }
        let body = Data(buffer.readableBytesView)
        let headers = HeaderValues(request.headers.map { ($0.name.canonicalName, $0.value) })

        let verification: Verification
        do {
            verification = try adapter.verify(body: body, headers: headers, secrets: secrets, now: configuration.now())
        } catch {
            throw APIError(error)
        }

        let identity = adapter.identify(body)
        let outcome = try await database.ingest(
            IncomingDelivery(
                source: source, vendorDeliveryID: identity.vendorDeliveryID, eventType: identity.eventType,
                receivedAt: configuration.now(), requestID: context.requestID, body: body,
                headers: headers.keeping(adapter.definition.keptHeaders).values, verification: verification))
        switch outcome {
        case .stored(let id):
            processor.wake()
            logger.debug("webhook stored", metadata: ["delivery": "\(id)", "event_type": "\(identity.eventType ?? "-")"])
            return Receipt(result: "stored", deliveryID: id.rawValue)
        case .duplicate(let id):
            logger.debug("webhook duplicate", metadata: ["delivery": "\(id)"])
            return Receipt(result: "duplicate", deliveryID: id.rawValue)
        }
    }

    private static func tooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, "body_too_large", "the body exceeds this source's limit of \(limit) bytes")
    }
}
