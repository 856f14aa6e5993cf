public import ArgumentParser
import Foundation
import GatewayAdapters
import GatewayHTTP
import GatewayStore
public import Logging

/// Where the gateway keeps and finds its files; shared by every subcommand.
struct StorageOptions: ParsableArguments {
    @Option(help: "Directory holding gateway.sqlite; created on first run. (env: GATEWAY_DATA_DIR)")
    var dataDir: String = ProcessInfo.processInfo.environment["GATEWAY_DATA_DIR"] ?? "data"

    @Option(help: "Directory of adapter definitions. (env: GATEWAY_ADAPTERS_DIR)")
    var adaptersDir: String = ProcessInfo.processInfo.environment["GATEWAY_ADAPTERS_DIR"] ?? "adapters"

    func openDatabase(ingestBatchLimit: Int = 512, ingestLinger: Duration = .zero) throws -> GatewayDatabase {
        try GatewayDatabase(directory: URL(fileURLWithPath: dataDir), ingestBatchLimit: ingestBatchLimit, ingestLinger: ingestLinger)
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

    func batchSize() throws -> Int {
        guard (1...50_000).contains(processingBatchSize) else { throw ValidationError("--processing-batch-size must be 1 to 50000") }
        return processingBatchSize
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

    /// `GATEWAY_QUICKBOOKS_*`: the Accounting API client, or `nil` when none of it is set.
    static func quickBooksCredentials() throws -> QuickBooksClient.Credentials? {
        let names = ["REALM_ID", "CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN"].map { "GATEWAY_QUICKBOOKS_\($0)" }
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
        return AutotaskContractPoller.Credentials(apiBase: base, integrationCode: code, userName: user, secret: Secret(secret))
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

    /// `GATEWAY_<SOURCE>_SECRETS`, comma-separated.
    static func secrets(for source: String) -> [Secret] {
        value(GatewayConfiguration.secretsVariable(for: source)).map(Secret.list) ?? []
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// ISO 8601 dates (`2025-05-20` or `2025-05-20T09:00:00Z`) on the command line.
struct DayOrInstant: ExpressibleByArgument {
    var date: Date

    init?(argument: String) {
        if let date = try? Date(argument, strategy: .iso8601) {
            self.date = date
        } else if let date = try? Date(argument, strategy: Date.ISO8601FormatStyle().year().month().day()) {
            self.date = date
        } else {
            return nil
        }
    }
}
