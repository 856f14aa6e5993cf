import Foundation
import GatewayAdapters
import GatewayEngine
import GatewayHTTP
import GatewayRepositories
import GatewayStore
import GatewayTestSupport
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle

/// A gateway on a fresh SQLite file in a temporary directory, with the repository's adapters.
final class TestGateway: Sendable {
    static let root = Fixtures.root
    static let stripeSecret = SignedDeliveries.stripeSecret
    static let adminToken = Secret("admin-token-for-tests")

    let directory: URL
    /// A gateway opened on another's directory leaves the cleaning to that one.
    let ownsDirectory: Bool
    let store: any Repositories
    let program: ProgramService
    let adapters: AdapterCatalog
    let processor: DeliveryProcessor
    let configuration: GatewayConfiguration
    let logger: Logger

    let keyFetcher: SigningKeyFetcher?
    /// The backfills `POST /admin/backfills` can start.
    let backfillRunners: [String: BackfillJobs.Runner]

    /// - Parameters:
    ///   - secrets: other sources' secrets, beside Stripe's.
    ///   - adapters: the catalog to serve; the repository's `adapters/` by default.
    init(
        stripeSecrets: [Secret] = [TestGateway.stripeSecret], secrets: [String: [Secret]] = [:],
        adminTokens: [Secret] = [TestGateway.adminToken], maxBodyBytes: Int = 1 << 20, policies: [String: SourcePolicy] = [:],
        adapters: AdapterCatalog? = nil,
        directory: URL? = nil,
        keyFetcher: SigningKeyFetcher? = nil, fetchers: (any Repositories) -> [any EntityFetcher] = { _ in [] },
        retry: RetryPolicy = RetryPolicy(attempts: 8, baseDelay: .seconds(30), maxDelay: .seconds(3600)),
        now: @escaping @Sendable () -> Date = { Date() },
        backfills: (any Repositories) -> [String: BackfillJobs.Runner] = { _ in [:] },
        refusalPause: Duration = .zero,
        logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws {
        ownsDirectory = directory == nil
        self.directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("gateway-http-\(UUID().uuidString)")
        store = try SQLiteStore(directory: self.directory, outboundEvents: OutboundEvents())
        program = ProgramService(store: store)
        self.adapters = try adapters ?? AdapterCatalog.load(directory: Fixtures.adapters)
        self.keyFetcher = keyFetcher
        var allSecrets = secrets
        if !stripeSecrets.isEmpty { allSecrets["stripe"] = stripeSecrets }
        var configuration = GatewayConfiguration(
            host: "127.0.0.1", port: 0, maxBodyBytes: maxBodyBytes, policies: policies, secrets: allSecrets, adminTokens: adminTokens,
            now: now)
        configuration.refusalPause = refusalPause
        self.configuration = configuration
        // A long idle interval: tests drain explicitly, so nothing happens behind their back.
        processor = DeliveryProcessor(
            store: store, adapters: self.adapters, fetchers: fetchers(store), idleInterval: .seconds(3600), retry: retry, now: now,
            logger: logger)
        self.logger = logger
        self.backfillRunners = backfills(store)
    }

    deinit {
        if ownsDirectory { try? FileManager.default.removeItem(at: directory) }
    }

    var application: some ApplicationProtocol {
        application(services: [])
    }

    /// The application with more services beside the server and the processor (an outbound
    /// dispatcher), and the metrics they report to.
    func application(services: [any Service], metrics: GatewayMetrics = GatewayMetrics()) -> some ApplicationProtocol {
        GatewayApplication.make(
            configuration: configuration, store: store, adapters: adapters, processor: processor, keyFetcher: keyFetcher, services: services,
            metrics: metrics, backfillRunners: backfillRunners, logger: logger)
    }

    static func fixture(_ path: String) throws -> Data {
        try Fixtures.data(path)
    }

    /// Headers Stripe would send for `body`, signed now.
    static func stripeHeaders(_ body: Data, secret: Secret = stripeSecret, at date: Date = Date()) -> HTTPFields {
        var fields: HTTPFields = [:]
        for (name, value) in SignedDeliveries.stripeHeaders(body, secret: secret, at: date) {
            fields[HTTPField.Name(name)!] = value
        }
        return fields
    }

    static var adminHeaders: HTTPFields {
        [.authorization: "Bearer \(adminToken.value)", .contentType: "application/json"]
    }
}

extension Decodable {
    /// Decodes a response body the way the gateway writes it.
    static func from(_ buffer: ByteBuffer) throws -> Self {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(Self.self, from: Data(buffer.readableBytesView))
    }
}
