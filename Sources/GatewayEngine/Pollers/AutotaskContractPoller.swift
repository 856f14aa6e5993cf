public import AsyncHTTPClient
public import Foundation
public import GatewayAdapters
import GatewayCore
public import GatewayRepositories
public import Logging
public import ServiceLifecycle

/// Autotask has no contract webhooks, so this service asks its REST API for contracts created
/// since its cursor (ids above the highest seen) and puts each one in the inbox as a delivery of
/// the `autotask-contracts` source: listed, processed, retried and replayable like a webhook. With
/// a changes field configured, it also asks for contracts changed since the last change seen, as
/// deliveries of `autotask-contract-changes` (an amount change reaches running MRR).
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
        /// The Contracts field that says when a contract last changed, to poll amount changes
        /// by (`lastModifiedDateTime`; UNCONFIRMED that Autotask has one, so off unless set).
        public var changesField: String?

        public init(apiBase: URL, integrationCode: String, userName: String, secret: Secret, changesField: String? = nil) {
            self.apiBase = apiBase
            self.integrationCode = integrationCode
            self.userName = userName
            self.secret = secret
            self.changesField = changesField
        }
    }

    /// The inbox source polled contracts are stored under.
    public static let source = "autotask-contracts"
    /// The inbox source changed contracts are stored under, one delivery per contract and change time.
    public static let changesSource = "autotask-contract-changes"

    private let credentials: Credentials
    private let api: AutotaskAPI
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
        self.api = AutotaskAPI(credentials: credentials, client: client)
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
                // One instance polls at a time: the others find the pass taken and wait for the next.
                let stored = try await store.exclusively("autotask-contract-poller") { try await pollOnce() }
                if let stored, stored > 0 { logger.info("autotask contracts polled", metadata: ["stored": "\(stored)"]) }
            } catch {
                logger.warning("autotask contract poll failed; the cursor stays and the next poll retries", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }

    /// One poll: every contract above the cursor, page by page, into the inbox; then, when a
    /// changes field is configured, every contract changed since the last change seen.
    ///
    /// - Returns: how many new deliveries were stored.
    @discardableResult
    public func pollOnce(now: Date = Date()) async throws(FetchFailure) -> Int {
        var stored = try await poll(.created, now: now)
        if let field = credentials.changesField { stored += try await poll(.changed(field: field), now: now) }
        if stored > 0 { processor?.wake() }
        return stored
    }

    /// What one query pass asks for and how it stores and remembers what it found.
    private enum Pass {
        /// New contracts: ids above the highest seen.
        case created
        /// Changed contracts: `field` (a timestamp) after the latest seen; the first poll starts now,
        /// so a history of old edits is not read as changes.
        case changed(field: String)

        var source: String { if case .created = self { AutotaskContractPoller.source } else { AutotaskContractPoller.changesSource } }
        var eventType: String { if case .created = self { "contract.created" } else { "contract.changed" } }
        var field: String { if case .changed(let field) = self { field } else { "id" } }

        func query(after cursor: String, pageSize: Int) -> JSONValue {
            let value: JSONValue = if case .created = self { .integer(Int64(cursor) ?? 0) } else { .string(Self.overlapping(cursor)) }
            return .object([
                "filter": .array([.object(["op": .string("gt"), "field": .string(field), "value": value])]), "maxRecords": .integer(Int64(pageSize)),
            ])
        }

        /// Ten minutes before `cursor`: a change saved late, or in the same second as the last one
        /// seen, is still asked for (the `id@time` delivery ids store each change once).
        static func overlapping(_ cursor: String) -> String {
            guard let date = try? Date(cursor, strategy: .iso8601) ?? Date(cursor, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)) else { return cursor }
            return date.addingTimeInterval(-600).formatted(.iso8601)
        }

        /// Whether `candidate` is past `cursor`: ids as numbers, timestamps as ISO 8601 text.
        func isAfter(_ candidate: String, _ cursor: String) -> Bool {
            if case .created = self { return (Int64(candidate) ?? 0) > (Int64(cursor) ?? 0) }
            return candidate > cursor
        }
    }

    private func poll(_ pass: Pass, now: Date) async throws(FetchFailure) -> Int {
        let cursorName = pass.source
        let cursor: String
        let saved: String?
        do {
            saved = try await store.vendorState.pollerCursor(named: cursorName)
            if case .created = pass { cursor = saved ?? "0" } else { cursor = saved ?? now.formatted(.iso8601) }
        } catch {
            throw FetchFailure("the poller cursor could not be read: \(error)", transient: true)
        }
        var latest = cursor
        var stored = 0
        var page = try await api.query("Contracts", search: pass.query(after: cursor, pageSize: pageSize), retry: retry)
        while true {
            for item in try api.items(of: page, "contract") {
                guard let id = item.value(at: FieldPath("id"))?.scalarText, Int64(id) != nil else {
                    throw FetchFailure("Autotask returned a contract without an id", transient: false)
                }
                guard let mark = item.value(at: FieldPath(pass.field))?.scalarText else {
                    throw FetchFailure("Autotask returned contract \(id) without \(pass.field)", transient: false)
                }
                let body: Data
                do {
                    body = try Self.encoder.encode(item)
                    let deliveryID = if case .created = pass { id } else { "\(id)@\(mark)" }
                    let outcome = try await store.inbox.ingest(
                        IncomingDelivery(
                            source: pass.source, vendorDeliveryID: deliveryID, eventType: pass.eventType, receivedAt: now, requestID: nil,
                            body: body, headers: [:], verification: PollerScheme.verification))
                    if case .stored = outcome { stored += 1 }
                } catch {
                    throw FetchFailure("contract \(id) could not be stored: \(error)", transient: true)
                }
                if pass.isAfter(mark, latest) { latest = mark }
            }
            guard let next = api.nextPage(of: page) else { break }
            page = try await api.page(next, retry: retry)
        }
        // A first changes poll saves its starting time, so the next one does not start later.
        if latest != cursor || saved == nil, latest != "0" {
            do {
                try await store.vendorState.savePollerCursor(latest, named: cursorName, at: now)
            } catch {
                throw FetchFailure("the poller cursor could not be saved: \(error)", transient: true)
            }
        }
        return stored
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()
}
