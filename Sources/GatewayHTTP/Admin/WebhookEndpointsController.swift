import Foundation
import GatewayCore
import GatewayEngine
import GatewayRepositories
import HTTPTypes
import Hummingbird

/// Outbound events under `/admin`: the endpoints events go to (each secret shown once, when made
/// or rotated), the message log, resends, and the outbox itself.
struct WebhookEndpointsController: Sendable {
    let configuration: GatewayConfiguration
    let webhooks: WebhookEndpointService

    init(configuration: GatewayConfiguration, store: any Repositories) {
        self.configuration = configuration
        self.webhooks = WebhookEndpointService(store: store, rotationOverlap: configuration.webhookRotationOverlap)
    }

    struct DisableRequest: Decodable {
        var reason: String?
    }

    func addRoutes(to router: Router<GatewayRequestContext>) {
        let admin = router.group("/admin").add(middleware: AdminAuthMiddleware(tokens: configuration.adminTokens))
        let now = configuration.now

        admin.get("/webhook-endpoints") { _, _ in try JSONResponse.make(try await webhooks.endpoints()) }
        admin.post("/webhook-endpoints") { request, context in
            let input = try await request.decodeInput(as: WebhookEndpointInput.self, context: context)
            return try JSONResponse.make(try await webhooks.add(input, at: now()), status: .created)
        }
        admin.get("/webhook-endpoints/{id}") { _, context in
            try JSONResponse.make(try await webhooks.endpoint(try Self.endpointID(context)))
        }
        admin.delete("/webhook-endpoints/{id}") { _, context in
            let id = try Self.endpointID(context)
            try await webhooks.remove(id, at: now())
            return try JSONResponse.make(["result": "removed"])
        }
        admin.post("/webhook-endpoints/{id}/rotate") { request, context in
            let id = try Self.endpointID(context)
            let input = try await Self.optionalBody(request, as: SecretRotationInput.self) ?? SecretRotationInput()
            return try JSONResponse.make(try await webhooks.rotateSecret(id, overlapHours: input.overlapHours, at: now()))
        }
        admin.post("/webhook-endpoints/{id}/disable") { request, context in
            let id = try Self.endpointID(context)
            let input = try await Self.optionalBody(request, as: DisableRequest.self) ?? DisableRequest()
            return try JSONResponse.make(try await webhooks.disable(id, reason: input.reason, at: now()))
        }
        admin.post("/webhook-endpoints/{id}/enable") { _, context in
            try JSONResponse.make(try await webhooks.enable(try Self.endpointID(context), at: now()))
        }
        admin.get("/webhook-endpoints/{id}/messages") { request, context in
            try JSONResponse.make(try await messages(request, endpoint: try Self.endpointID(context)))
        }
        admin.post("/webhook-endpoints/{id}/resend-failed") { _, context in
            let count = try await webhooks.resendFailed(of: try Self.endpointID(context), at: now())
            return try JSONResponse.make(["resent": count])
        }

        admin.get("/webhook-messages") { request, _ in
            let endpoint = request.uri.queryParameters.get("endpoint_id", as: Int64.self).map(WebhookEndpointID.init)
            return try JSONResponse.make(try await messages(request, endpoint: endpoint))
        }
        admin.get("/webhook-messages/{id}") { _, context in
            let id = OutboundMessageID(try context.parameters.require("id", as: Int64.self))
            return try JSONResponse.make(try await webhooks.message(id))
        }
        admin.post("/webhook-messages/{id}/resend") { _, context in
            let id = OutboundMessageID(try context.parameters.require("id", as: Int64.self))
            return try JSONResponse.make(try await webhooks.resend(id, at: now()))
        }
        admin.get("/outbound-events") { request, _ in
            let parameters = request.uri.queryParameters
            return try JSONResponse.make(
                try await webhooks.events(
                    type: parameters.get("type"), before: parameters.get("before", as: Int64.self), limit: parameters.get("limit", as: Int.self) ?? 100))
        }
    }

    /// `?status=dead,retrying&event_type=&before=&limit=`.
    private func messages(_ request: Request, endpoint: WebhookEndpointID?) async throws -> [OutboundMessage] {
        let parameters = request.uri.queryParameters
        return try await webhooks.messages(
            endpoint: endpoint, statuses: (parameters.get("status") ?? "").split(separator: ",").map(String.init),
            eventType: parameters.get("event_type"), before: parameters.get("before", as: Int64.self), limit: parameters.get("limit", as: Int.self) ?? 100)
    }

    /// A small JSON body that may be left out.
    private static func optionalBody<Value: Decodable>(_ request: Request, as type: Value.Type) async throws -> Value? {
        let body = try await request.body.collect(upTo: 4_096)
        guard body.readableBytes > 0 else { return nil }
        do {
            return try JSONResponse.decoder.decode(type, from: Data(body.readableBytesView))
        } catch {
            throw GatewayError.invalid("the body is not valid JSON for this request")
        }
    }

    private static func endpointID(_ context: GatewayRequestContext) throws -> WebhookEndpointID {
        WebhookEndpointID(try context.parameters.require("id", as: Int64.self))
    }
}
