public import Foundation
public import GatewayAdapters
public import GatewayCore
public import GatewayRepositories

/// Brings a ConnectWise PSA's history into the inbox through its REST API with an API member's
/// keys: the agreements and the companies last updated since a day
/// (`conditions=lastUpdated>=[…]`), page by page in id order (`page`, `pageSize`).
///
/// Each record is stored as the callback ConnectWise would have sent for it (source
/// `connectwise`, `Entity` the record as a JSON string), so the ConnectWise adapter maps it: an
/// agreement as `agreement.added`, and a cancelled one also as the `agreement.updated` that
/// cancels it; a company as `company.added`. Delivery ids are stable per record and effect
/// (`backfill:agreement:4711:added`), so a second run stores nothing new; an overlap with the
/// callbacks (other message ids, the same agreement) yields nothing twice because the ledger keys
/// each effect by the agreement or company id. The next page to read is saved after every page,
/// so a stopped run resumes where it stopped.
public struct ConnectWiseBackfill: VendorBackfill {
    /// What a backfilled delivery is stored with: fetched from the ConnectWise API with the
    /// operator's API member keys, not signed by ConnectWise.
    public static let verification = Verification(scheme: "backfill:connectwise-api", matchedSecretIndex: 0)

    /// One of the lists the backfill reads.
    public enum List: String, Sendable, CaseIterable {
        case agreements, companies

        var path: String { self == .agreements ? "finance/agreements" : "company/companies" }
        /// The callback type that carries it.
        var type: String { self == .agreements ? "agreement" : "company" }
    }

    public let vendor = "connectwise"
    public var lists: [String] { List.allCases.map(\.rawValue) }

    private let client: ConnectWiseClient
    private let retry: RetryPolicy
    private let pageSize: Int
    private let pager: BackfillPager

    /// - Parameters:
    ///   - retry: how each page is retried; 429s are waited out for their `Retry-After`.
    ///   - pageSize: records per page, 1 to 1000 (ConnectWise's maximum).
    public init(
        client: ConnectWiseClient, store: any Repositories, retry: RetryPolicy = RetryPolicy(attempts: 6, rateLimitWaits: 10), pageSize: Int = 1_000,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.client = client
        self.retry = retry
        self.pageSize = min(max(pageSize, 1), 1_000)
        self.pager = BackfillPager(vendor: vendor, verification: Self.verification, store: store, now: now)
    }

    public func run(since: Date, progress: @escaping @Sendable (BackfillProgress) -> Void = { _ in }) async throws(FetchFailure) -> BackfillSummary {
        let conditions = "lastUpdated>=[\(BackfillPager.timestamp(since))]"
        return try await pager.run(lists, since: since, progress: progress) { name, after throws(FetchFailure) in
            let list = List(rawValue: name)!
            let page = after.flatMap { Int($0) } ?? 1
            let records = try await client.page(list.path, conditions: conditions, page: page, pageSize: pageSize, what: "the \(name) list", retry: retry)
            var deliveries: [BackfillDelivery] = []
            for record in records {
                guard let id = record.value(at: FieldPath("id"))?.scalarText.flatMap({ Int64($0) }) else {
                    throw FetchFailure("ConnectWise listed one of the \(name) without an id", transient: false)
                }
                deliveries.append(try callback(list, record, id: id, action: "added"))
                if list == .agreements, record.value(at: FieldPath("cancelledFlag")) == .bool(true) {
                    deliveries.append(try callback(list, record, id: id, action: "updated"))
                }
            }
            return BackfillPage(fetched: records.count, deliveries: deliveries, next: records.count < pageSize ? nil : String(page + 1))
        }
    }

    /// The callback ConnectWise sends for `record`: its envelope (the PSA's `CompanyId`, the
    /// site, the type, action and id) with the record as a JSON string in `Entity`.
    private func callback(_ list: List, _ record: JSONValue, id: Int64, action: String) throws(FetchFailure) -> BackfillDelivery {
        let entity: String
        do {
            entity = String(decoding: try Self.encoder.encode(record), as: UTF8.self)
        } catch {
            throw FetchFailure("\(list.type) \(id) could not be written: \(error)", transient: false)
        }
        // An update that is stored is the one that cancels it.
        let effect = action == "added" ? "added" : "cancelled"
        let deliveryID = "backfill:\(list.type):\(id):\(effect)"
        let body = JSONValue.object([
            "MessageId": .string(deliveryID), "FromUrl": .string(client.credentials.apiBase.host ?? ""),
            "CompanyId": .string(client.credentials.companyID), "Action": .string(action), "Type": .string(list.type), "ID": .integer(id),
            "Entity": .string(entity),
        ])
        return BackfillDelivery(source: "connectwise", deliveryID: deliveryID, eventType: "\(list.type).\(action)", body: body)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()
}
