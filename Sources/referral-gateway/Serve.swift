import ArgumentParser
import AsyncHTTPClient
import Foundation
import GatewayAdapters
import GatewayCore
import GatewayEngine
import GatewayHTTP
import GatewayRepositories
import Hummingbird
import Logging
import ServiceLifecycle

/// `referral-gateway serve`: the HTTP server and the delivery processor.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway (webhooks, admin API, processor).")

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port: Int = 8080

    @Option(help: "Largest webhook body accepted, in bytes; larger ones answer 413. (per source: GATEWAY_<SOURCE>_MAX_BODY_BYTES)")
    var maxBodyBytes: Int = 1 << 20

    @Option(help: "Largest request head (all header fields), in bytes.")
    var maxHeaderBytes: Int = 16 * 1024

    @Option(help: "Seconds a connection may stay silent (a stalled or very slow client) before it is closed.")
    var idleTimeoutSeconds: Int = 30

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. (env: LOG_LEVEL)")
    var logLevel: Logger.Level = Environment.value("LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .info

    @Flag(help: "Also serve POST /bench/baseline (read the body, answer 202): the load benchmark's ceiling.")
    var benchmarkEndpoints = false

    @Flag(help: "Store deliveries without processing them (run `process` later): for measuring ingest and processing apart.")
    var noProcessing = false

    @Option(help: "Most deliveries one group-commit transaction holds. (env: GATEWAY_INGEST_BATCH_LIMIT)")
    var ingestBatchLimit: Int = Environment.value("GATEWAY_INGEST_BATCH_LIMIT").flatMap(Int.init) ?? 512

    @Option(help: "Microseconds the ingest writer waits for a transaction to fill, 0 to 10000; 0 writes at once. (env: GATEWAY_INGEST_LINGER_MICROSECONDS)")
    var ingestLingerMicroseconds: Int = Environment.value("GATEWAY_INGEST_LINGER_MICROSECONDS").flatMap(Int.init) ?? 0

    @OptionGroup var processing: ProcessingOptions
    @OptionGroup var storage: StorageOptions

    func validate() throws {
        guard (1...10_000).contains(ingestBatchLimit) else { throw ValidationError("--ingest-batch-limit must be 1 to 10000") }
        guard (0...10_000).contains(ingestLingerMicroseconds) else { throw ValidationError("--ingest-linger-microseconds must be 0 to 10000") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        let logger = Logger(label: "referral-gateway")
        let adapters = try storage.loadAdapters().allowingKeyHosts(from: Environment.keyHosts(for:))
        let store = try await storage.openStore(
            ingestBatchLimit: ingestBatchLimit, ingestLinger: .microseconds(ingestLingerMicroseconds), logger: logger)
        let released = try await store.inbox.releaseClaims()
        if released > 0 {
            logger.notice("deliveries claimed by a previous run are queued again", metadata: ["count": "\(released)"])
        }

        var secrets: [String: [Secret]] = [:]
        for source in adapters.sources where !(adapters[source]!.scheme is PollerScheme) {
            let list = Environment.secrets(for: source)
            if list.isEmpty, adapters[source]!.scheme.fetchesSigningKeys {
                logger.info(
                    "source fetches its signing keys from allow-listed hosts",
                    metadata: ["source": "\(source)", "hosts": "\(adapters[source]!.allowedKeyHosts.joined(separator: ","))"])
            } else if list.isEmpty {
                logger.warning(
                    "source has no signing secret: every delivery to it is refused with 503 until one is set",
                    metadata: ["source": "\(source)", "set": "\(Secret.environmentVariable(for: source))=<secret>[,<old secret>]"])
            } else {
                secrets[source] = list
                logger.info("source ready", metadata: ["source": "\(source)", "secrets": "\(list.count)"])
            }
        }
        let adminTokens = Environment.value("GATEWAY_ADMIN_TOKEN").map(Secret.list) ?? []
        if adminTokens.isEmpty {
            logger.warning("admin API is off (403) because GATEWAY_ADMIN_TOKEN is not set")
        }

        var policies: [String: SourcePolicy] = [:]
        for source in adapters.sources {
            if let policy = try Environment.policy(for: source, defaultMaxBodyBytes: maxBodyBytes) { policies[source] = policy }
        }
        var configuration = GatewayConfiguration(
            host: host, port: port, maxBodyBytes: maxBodyBytes, policies: policies, maxHeaderBytes: maxHeaderBytes,
            idleTimeout: .seconds(max(1, idleTimeoutSeconds)), secrets: secrets, adminTokens: adminTokens)
        configuration.benchmarkEndpoints = benchmarkEndpoints
        configuration.publicURL = Environment.value("GATEWAY_PUBLIC_URL")
        configuration.rejectionRetention = RejectionLog.Retention(
            keepDays: Environment.value("GATEWAY_REJECTIONS_KEEP_DAYS").flatMap(Int.init) ?? 30,
            maxRows: Environment.value("GATEWAY_REJECTIONS_MAX_ROWS").flatMap(Int.init) ?? 100_000)
        configuration.refusalPause = .milliseconds(try Environment.refusalPauseMilliseconds())
        configuration.processingBatchSize = try processing.batchSize()
        let keyClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: SigningKeyFetcher.clientConfiguration)
        let fetchers = try Environment.fetchers(store: store)
        // Thin notifications are kept either way, but fail until their API client is configured.
        for source in adapters.sources {
            guard let connector = adapters[source]?.connector?.name else { continue }
            if fetchers.contains(where: { $0.connector == connector }) {
                logger.info("API client ready", metadata: ["source": "\(source)", "connector": "\(connector)"])
            } else {
                logger.warning(
                    "notifications will fail until the API client is configured",
                    metadata: ["source": "\(source)", "set": "\(Environment.apiClientVariables[connector]?.joined(separator: ", ") ?? "-")"])
            }
        }
        let metrics = GatewayMetrics()
        let processor = DeliveryProcessor(
            store: store, adapters: adapters, fetchers: fetchers, batchSize: configuration.processingBatchSize,
            idleInterval: configuration.processingIdleInterval, lease: try processing.lease(), observer: metrics, logger: logger)
        var services: [any Service] = []
        let autotask = try Environment.autotaskCredentials()
        if let credentials = autotask {
            let seconds = Environment.value("GATEWAY_AUTOTASK_POLL_SECONDS").flatMap(Int.init) ?? 300
            services.append(
                AutotaskContractPoller(
                    credentials: credentials, client: HTTPClient.shared, store: store, processor: processor,
                    interval: .seconds(max(seconds, 10)), logger: logger))
            logger.info("Autotask contract poller ready", metadata: ["every": "\(max(seconds, 10)) s"])
        }
        if let days = Environment.value("GATEWAY_RETAIN_BODIES_DAYS").flatMap(Int.init) {
            services.append(RetentionService(store: store, keepDays: days, logger: logger))
            logger.info("raw bodies of processed deliveries are pruned", metadata: ["after_days": "\(days)"])
        }
        // Outbound events, read before the client is made (a client must be shut down once made).
        let outbound = try Environment.outboundConfiguration()
        configuration.webhookRotationOverlap = try Environment.duration("GATEWAY_WEBHOOK_ROTATION_OVERLAP") ?? WebhookEndpointService.defaultRotationOverlap
        var silentAfter: [String: TimeInterval] = [:]
        for source in adapters.sources {
            guard let seconds = try Environment.duration("GATEWAY_\(source.uppercased().replacingOccurrences(of: "-", with: "_"))_SILENT_AFTER") else { continue }
            silentAfter[source] = seconds
            logger.info("source watched for silence", metadata: ["source": "\(source)", "silent_after": "\(DurationText.text(seconds))"])
        }
        // A client that treats redirects as failures.
        let webhookClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: OutboundDispatcher.Configuration.clientConfiguration)
        services.append(OutboundDispatcher(store: store, client: webhookClient, configuration: outbound, observer: metrics, logger: logger))
        logger.info("outbound events ready", metadata: [
            "retries": "\(outbound.retryDelays.map(DurationText.text).joined(separator: ","))",
            "disable_after": "\(DurationText.text(outbound.disableAfter))",
        ])
        if !silentAfter.isEmpty {
            services.append(
                SourceSilenceMonitor(store: store, configuration: SourceSilenceMonitor.Configuration(silentAfter: silentAfter), observer: metrics, logger: logger))
        }
        logger.info("store open", metadata: ["location": "\(store.location)"])
        // Backfills the admin API and the console can start: the vendors whose API is configured.
        var backfills: [String: BackfillJobs.Runner] = [:]
        if let stripe = Environment.stripeCredentials() {
            backfills["stripe"] = StripeBackfill(credentials: stripe, client: HTTPClient.shared, store: store, now: configuration.now).runner
        }
        // The processor's own client: one access token, refreshed in one place.
        if let quickBooks = fetchers.lazy.compactMap({ $0 as? QuickBooksClient }).first {
            backfills["quickbooks"] = QuickBooksBackfill(client: quickBooks, store: store, now: configuration.now).runner
        }
        if let connectWise = try Environment.connectWiseCredentials() {
            backfills["connectwise"] = ConnectWiseBackfill(
                client: ConnectWiseClient(credentials: connectWise, client: HTTPClient.shared), store: store, now: configuration.now
            ).runner
        }
        if let autotask {
            backfills["autotask"] = AutotaskBackfill(
                credentials: autotask, client: HTTPClient.shared, store: store, fields: Environment.autotaskBackfillFields(), now: configuration.now
            ).runner
        }
        let app = GatewayApplication.make(
            configuration: configuration, store: store, adapters: adapters, processor: processor,
            keyFetcher: SigningKeyFetcher(client: keyClient), services: services, metrics: metrics, runsProcessor: !noProcessing,
            backfillRunners: backfills, logger: logger)
        do {
            try await app.runService()
        } catch {
            try? await keyClient.shutdown()
            try? await webhookClient.shutdown()
            throw error
        }
        try await keyClient.shutdown()
        try await webhookClient.shutdown()
    }
}

extension Environment {
    /// A duration variable (`90s`, `30m`, `48h`, `5d`), or `nil` when unset.
    static func duration(_ name: String) throws -> TimeInterval? {
        guard let text = value(name) else { return nil }
        guard let seconds = DurationText.seconds(text) else { throw ValidationError("\(name) must be a duration such as 90s, 30m, 48h or 5d, not '\(text)'") }
        return seconds
    }

    /// `GATEWAY_REFUSAL_PAUSE_MS`: how long a refused webhook waits before its answer (200 ms
    /// unless set; 0 answers at once).
    static func refusalPauseMilliseconds() throws -> Int {
        guard let text = value("GATEWAY_REFUSAL_PAUSE_MS") else { return 200 }
        guard let milliseconds = Int(text), (0...10_000).contains(milliseconds) else {
            throw ValidationError("GATEWAY_REFUSAL_PAUSE_MS must be a number of milliseconds from 0 to 10000, not '\(text)'")
        }
        return milliseconds
    }

    /// `GATEWAY_WEBHOOK_RETRY_SCHEDULE` (the waits before each retry, comma-separated),
    /// `GATEWAY_WEBHOOK_DISABLE_AFTER` and `GATEWAY_WEBHOOK_TIMEOUT`.
    static func outboundConfiguration() throws -> OutboundDispatcher.Configuration {
        var configuration = OutboundDispatcher.Configuration()
        if let text = value("GATEWAY_WEBHOOK_RETRY_SCHEDULE") {
            let delays = text.split(separator: ",").map { DurationText.seconds(String($0)) }
            guard !delays.isEmpty, delays.allSatisfy({ $0 != nil }) else {
                throw ValidationError("GATEWAY_WEBHOOK_RETRY_SCHEDULE must list durations such as 5s,5m,30m,2h,5h,10h,10h")
            }
            configuration.retryDelays = delays.compactMap { $0 }
        }
        if let after = try duration("GATEWAY_WEBHOOK_DISABLE_AFTER") { configuration.disableAfter = after }
        if let timeout = try duration("GATEWAY_WEBHOOK_TIMEOUT") { configuration.requestTimeout = .seconds(timeout) }
        return configuration
    }

    /// `GATEWAY_<SOURCE>_MAX_BODY_BYTES`, `_RATE_LIMIT` (requests a second), `_RATE_BURST` and
    /// `_ALLOWED_IPS` (comma-separated CIDR networks), when any is set.
    static func policy(for source: String, defaultMaxBodyBytes: Int) throws -> SourcePolicy? {
        let prefix = "GATEWAY_\(source.uppercased().replacingOccurrences(of: "-", with: "_"))_"
        let names = ["MAX_BODY_BYTES", "RATE_LIMIT", "RATE_BURST", "ALLOWED_IPS"].map { prefix + $0 }
        let values = names.map(value)
        if values.allSatisfy({ $0 == nil }) { return nil }
        var policy = SourcePolicy(maxBodyBytes: defaultMaxBodyBytes)
        if let text = values[0] {
            guard let bytes = Int(text), bytes > 0 else { throw ValidationError("\(names[0]) must be a positive number of bytes") }
            policy.maxBodyBytes = bytes
        }
        if let text = values[1] {
            guard let rate = Double(text), rate > 0 else { throw ValidationError("\(names[1]) must be a positive number of requests a second") }
            policy.requestsPerSecond = rate
        }
        if let text = values[2] {
            guard let burst = Int(text), burst > 0 else { throw ValidationError("\(names[2]) must be a positive number") }
            policy.burst = burst
        }
        if let text = values[3] {
            policy.allowedNetworks = try text.split(separator: ",").map { item in
                guard let network = IPNetwork(String(item)) else { throw ValidationError("\(names[3]): \(item) is not an address or CIDR network") }
                return network
            }
        }
        return policy
    }

}
