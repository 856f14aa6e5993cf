public import ArgumentParser
import AsyncHTTPClient
import Foundation
import GatewayAdapters
import GatewayEngine
import GatewayPostgres
import GatewayRepositories
import GatewayStore
public import Logging

/// Where the gateway keeps and finds its files; shared by every subcommand.
struct StorageOptions: ParsableArguments {
    @Option(help: "Directory holding gateway.sqlite; created on first run. (env: GATEWAY_DATA_DIR)")
    var dataDir: String = ProcessInfo.processInfo.environment["GATEWAY_DATA_DIR"] ?? "data"

    @Option(help: "Directory of adapter definitions. (env: GATEWAY_ADAPTERS_DIR)")
    var adaptersDir: String = ProcessInfo.processInfo.environment["GATEWAY_ADAPTERS_DIR"] ?? "adapters"

    @Option(
        help: """
            A PostgreSQL database to use instead of the SQLite file, shared by several gateway instances: \
            postgres://user:password@host:port/database[?sslmode=disable|prefer|require&schema=NAME]. (env: GATEWAY_DATABASE_URL)
            """)
    var database: String? = ProcessInfo.processInfo.environment["GATEWAY_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// Opens the store, migrates it, and derives its data again if this engine's version
    /// computes it differently from the one that last did (logged when it happens). A database
    /// migrated by a newer build is refused, saying so.
    /// A store an unfinished `store copy` left marked is refused, saying how to start over.
    func openStore(ingestBatchLimit: Int = 512, ingestLinger: Duration = .zero, logger: Logger = CommandLog.logger) async throws -> any Repositories {
        let store: any Repositories & StoreTransfer
        if let database {
            let postgres = try PostgresGatewayDatabase(url: database, logger: logger)
            // A wrong URL, a refused login or a server that is down: said now, in a sentence.
            try await postgres.checkReachable()
            // The pool serves while the process lives; a command's process ends when it is done.
            Task.detached { await postgres.run() }
            try await postgres.migrate()
            store = PostgresStore(database: postgres, outboundEvents: OutboundEvents())
        } else {
            store = try SQLiteStore(directory: URL(fileURLWithPath: dataDir), outboundEvents: OutboundEvents(), ingestBatchLimit: ingestBatchLimit, ingestLinger: ingestLinger)
        }
        try await StoreCopy.refuseUnfinishedCopy(in: store)
        try await LedgerService.recomputeDerivedDataIfNeeded(in: store, at: Date(), logger: logger)
        return store
    }

    /// Refuses a command that works on the SQLite file only when a PostgreSQL database is chosen.
    func requireSQLite(_ command: String, instead: String) throws {
        guard database == nil else { throw ValidationError("\(command) works on the SQLite store; for PostgreSQL, \(instead)") }
    }

    func loadAdapters() throws -> AdapterCatalog {
        let directory = URL(fileURLWithPath: adaptersDir)
        guard FileManager.default.fileExists(atPath: directory.path) else {
            throw ValidationError("no adapter definitions at \(directory.path); run from the repository root or pass --adapters-dir")
        }
        return try AdapterCatalog.load(directory: directory)
    }
}

/// How many deliveries the processor claims and applies per transaction.
struct ProcessingOptions: ParsableArguments {
    @Option(help: "Deliveries processed per transaction, 1 to 50000. (env: GATEWAY_PROCESSING_BATCH_SIZE)")
    var processingBatchSize: Int = Environment.value("GATEWAY_PROCESSING_BATCH_SIZE").flatMap(Int.init) ?? 2_000

    /// Hidden: a short lease lets a test see a killed instance's claims taken over in seconds. A
    /// lease shorter than a batch's processing lets another instance take work still in hand.
    @Option(help: .hidden)
    var processingLeaseSeconds: Int = Environment.value("GATEWAY_PROCESSING_LEASE_SECONDS").flatMap(Int.init) ?? 300

    func batchSize() throws -> Int {
        guard (1...50_000).contains(processingBatchSize) else { throw ValidationError("--processing-batch-size must be 1 to 50000") }
        return processingBatchSize
    }

    /// Seconds a processor's claim lasts before another instance may take the work over.
    func lease() throws -> TimeInterval {
        guard (1...86_400).contains(processingLeaseSeconds) else { throw ValidationError("--processing-lease-seconds must be 1 to 86400") }
        return TimeInterval(processingLeaseSeconds)
    }
}

enum Environment {
    static func value(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `GATEWAY_<SOURCE>_KEY_HOSTS`, comma-separated: the hosts a source may fetch signing keys from.
    static func keyHosts(for source: String) -> [String]? {
        value("GATEWAY_\(source.uppercased().replacingOccurrences(of: "-", with: "_"))_KEY_HOSTS").map { text in
            text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }

    /// The variables each connector's API client needs (all or none), by connector name.
    static let apiClientVariables = [
        "quickbooks": ["REALM_ID", "CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN"].map { "GATEWAY_QUICKBOOKS_\($0)" },
        "xero": ["CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN", "TENANT_IDS"].map { "GATEWAY_XERO_\($0)" },
    ]

    /// `GATEWAY_QUICKBOOKS_*`: the Accounting API client, or `nil` when none of it is set.
    static func quickBooksCredentials() throws -> QuickBooksClient.Credentials? {
        let names = apiClientVariables["quickbooks"]!
        let values = names.map(value)
        if values.allSatisfy({ $0 == nil }) { return nil }
        guard let realm = values[0], let clientID = values[1], let clientSecret = values[2], let refreshToken = values[3] else {
            throw ValidationError("set all of \(names.joined(separator: ", ")) or none")
        }
        var credentials = QuickBooksClient.Credentials(
            realmID: realm, clientID: clientID, clientSecret: Secret(clientSecret), refreshToken: Secret(refreshToken))
        if let base = value("GATEWAY_QUICKBOOKS_API_BASE").flatMap(URL.init(string:)) { credentials.apiBase = base }
        if let tokenURL = value("GATEWAY_QUICKBOOKS_TOKEN_URL").flatMap(URL.init(string:)) { credentials.tokenURL = tokenURL }
        return credentials
    }

    /// `GATEWAY_AUTOTASK_API_*`: the contract poller's API user, or `nil` when none of it is set.
    static func autotaskCredentials() throws -> AutotaskContractPoller.Credentials? {
        let names = ["API_BASE", "API_INTEGRATION_CODE", "API_USERNAME", "API_SECRET"].map { "GATEWAY_AUTOTASK_\($0)" }
        let values = names.map(value)
        if values.allSatisfy({ $0 == nil }) { return nil }
        guard let base = values[0].flatMap(URL.init(string:)), let code = values[1], let user = values[2], let secret = values[3] else {
            throw ValidationError("set all of \(names.joined(separator: ", ")) (API_BASE a URL) or none")
        }
        return AutotaskContractPoller.Credentials(
            apiBase: base, integrationCode: code, userName: user, secret: Secret(secret), changesField: value("GATEWAY_AUTOTASK_CONTRACT_CHANGES_FIELD"))
    }

    /// `GATEWAY_CONNECTWISE_API_BASE`, `_API_COMPANY_ID`, `_API_PUBLIC_KEY`, `_API_PRIVATE_KEY`, `_API_CLIENT_ID`:
    /// the ConnectWise REST API with an API member's keys, or `nil` when none of it is set.
    static func connectWiseCredentials() throws -> ConnectWiseClient.Credentials? {
        let names = ["BASE", "COMPANY_ID", "PUBLIC_KEY", "PRIVATE_KEY", "CLIENT_ID"].map { "GATEWAY_CONNECTWISE_API_\($0)" }
        let values = names.map(value)
        if values.allSatisfy({ $0 == nil }) { return nil }
        guard let base = values[0].flatMap(URL.init(string:)), base.host != nil, let company = values[1], let publicKey = values[2],
            let privateKey = values[3], let clientID = values[4]
        else {
            throw ValidationError("set all of \(names.joined(separator: ", ")) (API_BASE a URL) or none")
        }
        return ConnectWiseClient.Credentials(
            apiBase: base, companyID: company, publicKey: Secret(publicKey), privateKey: Secret(privateKey), clientID: clientID)
    }

    /// `GATEWAY_AUTOTASK_BACKFILL_CONTRACTS_FIELD` and `_COMPANIES_FIELD`: the date fields an
    /// Autotask backfill selects records by (`startDate` and `createDate` unless set).
    static func autotaskBackfillFields() -> AutotaskBackfill.DateFields {
        var fields = AutotaskBackfill.DateFields()
        if let field = value("GATEWAY_AUTOTASK_BACKFILL_CONTRACTS_FIELD") { fields.contracts = field }
        if let field = value("GATEWAY_AUTOTASK_BACKFILL_COMPANIES_FIELD") { fields.companies = field }
        return fields
    }

    /// `GATEWAY_STRIPE_API_KEY` (and `GATEWAY_STRIPE_API_BASE`): the Stripe API client, or `nil`.
    static func stripeCredentials() -> StripeClient.Credentials? {
        guard let key = value("GATEWAY_STRIPE_API_KEY") else { return nil }
        var credentials = StripeClient.Credentials(apiKey: Secret(key))
        if let base = value("GATEWAY_STRIPE_API_BASE").flatMap(URL.init(string:)) { credentials.apiBase = base }
        return credentials
    }

    /// `GATEWAY_XERO_*`: the Accounting API client, or `nil` when none of it is set.
    static func xeroCredentials() throws -> XeroClient.Credentials? {
        let names = apiClientVariables["xero"]!
        let values = names.map(value)
        if values.allSatisfy({ $0 == nil }) { return nil }
        let tenants = values[3].map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } } ?? []
        guard let clientID = values[0], let clientSecret = values[1], let refreshToken = values[2], !tenants.isEmpty else {
            throw ValidationError("set all of \(names.joined(separator: ", ")) or none")
        }
        var credentials = XeroClient.Credentials(
            clientID: clientID, clientSecret: Secret(clientSecret), refreshToken: Secret(refreshToken), tenantIDs: tenants)
        if let base = value("GATEWAY_XERO_API_BASE").flatMap(URL.init(string:)) { credentials.apiBase = base }
        if let tokenURL = value("GATEWAY_XERO_TOKEN_URL").flatMap(URL.init(string:)) { credentials.tokenURL = tokenURL }
        return credentials
    }

    /// The vendor API clients the environment configures (QuickBooks, Xero, Stripe), for what
    /// notifications leave out.
    static func fetchers(store: any Repositories) throws -> [any EntityFetcher] {
        var fetchers: [any EntityFetcher] = []
        if let credentials = try quickBooksCredentials() { fetchers.append(QuickBooksClient(credentials: credentials, client: HTTPClient.shared, store: store)) }
        if let credentials = try xeroCredentials() { fetchers.append(XeroClient(credentials: credentials, client: HTTPClient.shared, store: store)) }
        if let credentials = stripeCredentials() { fetchers.append(StripeClient(credentials: credentials, client: HTTPClient.shared)) }
        return fetchers
    }

    /// `GATEWAY_<SOURCE>_SECRETS`, comma-separated.
    static func secrets(for source: String) -> [Secret] {
        value(Secret.environmentVariable(for: source)).map(Secret.list) ?? []
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Where the commands other than `serve` log: standard error, notices and above.
enum CommandLog {
    static let logger: Logger = {
        var logger = Logger(label: "referral-gateway", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .notice
        return logger
    }()
}
