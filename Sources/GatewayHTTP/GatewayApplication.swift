public import GatewayAdapters
public import GatewayStore
import HTTPTypes
public import Hummingbird
public import Logging
public import ServiceLifecycle

/// Builds the gateway's HTTP application: webhook, admin and health routes, with the delivery
/// processor running as a service beside the server.
public enum GatewayApplication {
    public static func make(
        configuration: GatewayConfiguration,
        database: GatewayDatabase,
        adapters: AdapterCatalog,
        processor: DeliveryProcessor,
        keyFetcher: SigningKeyFetcher? = nil,
        services: [any Service] = [],
        logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router(context: GatewayRequestContext.self)
        router.get("/healthz") { _, _ in
            guard try await database.isReady() else {
                throw APIError(.serviceUnavailable, "store_not_ready", "the store's migrations are not applied")
            }
            return try JSONResponse.make(["status": "ok"])
        }
        router.get("/readyz") { _, _ in
            // Ready: migrations applied and the store accepts a write.
            guard try await database.isReady(), (try? await database.checkWritable()) != nil else {
                throw APIError(.serviceUnavailable, "store_not_ready", "the store is not migrated or not writable")
            }
            return try JSONResponse.make(["status": "ready"])
        }
        WebhookController(
            configuration: configuration, adapters: adapters, database: database, processor: processor, keyFetcher: keyFetcher)
            .addRoutes(to: router)
        AdminController(
            configuration: configuration, database: database, replays: ReplayJobs(database: database, processor: processor, logger: logger)
        ).addRoutes(to: router)
        return Application(
            router: router,
            server: .http1(
                configuration: .init(
                    idleTimeout: .nanoseconds(configuration.idleTimeout.components.seconds * 1_000_000_000),
                    httpDecoderConfiguration: .init(
                        maxHeaderFieldSize: configuration.maxHeaderBytes, maxHeaderListSize: configuration.maxHeaderBytes, maxHeaderFieldCount: 200))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "referral-gateway"),
            services: [processor] + services,
            logger: logger)
    }
}
