import Foundation
public import GatewayAdapters
public import GatewayEngine
public import GatewayRepositories
import HTTPTypes
public import Hummingbird
public import Logging
public import ServiceLifecycle

/// Builds the gateway's HTTP application: webhook, admin and health routes, with the delivery
/// processor running as a service beside the server.
public enum GatewayApplication {
    public static func make(
        configuration: GatewayConfiguration,
        store: any Repositories,
        adapters: AdapterCatalog,
        processor: DeliveryProcessor,
        keyFetcher: SigningKeyFetcher? = nil,
        services: [any Service] = [],
        metrics: GatewayMetrics = GatewayMetrics(),
        runsProcessor: Bool = true,
        backfillRunners: [String: BackfillJobs.Runner] = [:],
        logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router(context: GatewayRequestContext.self)
        let replays = ReplayJobs(store: store, processor: processor, logger: logger)
        let backfills = BackfillJobs(runners: backfillRunners, processor: processor, now: configuration.now, logger: logger)
        let rejections = RejectionLog(store: store, retention: configuration.rejectionRetention, now: configuration.now, logger: logger)
        router.get("/metrics") { _, _ -> Response in
            let waiting = try await store.inbox.countAwaitingProcessing()
            let oldest = try await store.inbox.oldestAwaitingProcessing().map { configuration.now().timeIntervalSince($0) } ?? 0
            let remaining = await replays.all().filter { $0.state == .running }.reduce(0) { $0 + $1.total - $1.done }
            metrics.snapshot(
                queueDepth: waiting, oldestWaitingSeconds: max(0, oldest), accrualLines: try await store.ledger.accrualCount(), replayRemaining: remaining)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        // Liveness: the process answers. `serve` listens only once the store is open and migrated;
        // whether the store can be used now is `/readyz`'s question, since restarting an instance
        // would not bring a database back.
        router.get("/healthz") { _, _ in
            try JSONResponse.make(["status": "ok"])
        }
        if configuration.benchmarkEndpoints {
            router.post("/bench/baseline") { request, _ -> Response in
                _ = try await request.body.collect(upTo: configuration.maxBodyBytes)
                return Response(status: .accepted)
            }
        }
        router.get("/readyz") { _, _ in
            // Ready: migrations applied and the store accepts a write. A store that cannot be
            // reached (PostgreSQL down, the network cut) is not ready either, and says so quickly.
            guard (try? await store.isReady()) == true, (try? await store.checkWritable()) != nil else {
                throw APIError(.serviceUnavailable, "store_not_ready", "the store is not reachable, not migrated or not writable")
            }
            return try JSONResponse.make(["status": "ready"])
        }
        WebhookController(
            configuration: configuration, adapters: adapters, store: store, rejections: rejections, processor: processor, keyFetcher: keyFetcher,
            metrics: metrics)
            .addRoutes(to: router)
        AdminController(configuration: configuration, store: store, replays: replays, rejections: rejections).addRoutes(to: router)
        ReportsController(configuration: configuration, store: store).addRoutes(to: router)
        ImportsController(configuration: configuration, store: store).addRoutes(to: router)
        BackfillsController(configuration: configuration, backfills: backfills).addRoutes(to: router)
        ConsoleController(configuration: configuration, store: store, replays: replays, backfills: backfills).addRoutes(to: router)
        PortalAdminController(configuration: configuration, store: store).addRoutes(to: router)
        WebhookEndpointsController(configuration: configuration, store: store).addRoutes(to: router)
        PortalController(configuration: configuration, store: store).addRoutes(to: router)
        return Application(
            router: router,
            server: .http1(
                configuration: .init(
                    idleTimeout: .nanoseconds(configuration.idleTimeout.components.seconds * 1_000_000_000),
                    httpDecoderConfiguration: .init(
                        maxHeaderFieldSize: configuration.maxHeaderBytes, maxHeaderListSize: configuration.maxHeaderBytes, maxHeaderFieldCount: 200))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "referral-gateway"),
            services: [rejections] + (runsProcessor ? [processor] : []) + services,
            logger: logger)
    }
}
