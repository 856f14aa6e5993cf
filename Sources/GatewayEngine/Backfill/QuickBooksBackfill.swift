public import Foundation
public import GatewayAdapters
public import GatewayCore
public import GatewayRepositories

/// Brings a QuickBooks Online company's history into the inbox through the Accounting API's
/// `query`, with the gateway's QuickBooks client (its OAuth tokens, refreshed and rotated as for
/// the notifications): the Payments, Invoices, CreditMemos and RefundReceipts last updated since a
/// day, page by page (`STARTPOSITION`, `MAXRESULTS`).
///
/// QuickBooks' notifications name an entity and the processor fetches it; a backfilled record is
/// stored as the notification of that entity (source `quickbooks`, so the same connector maps
/// it) carrying the entity it was read as, and its customer, under `fetched`: processing it
/// fetches nothing again. Delivery ids are stable per record (`backfill:Payment:217`), so a second
/// run stores nothing new; an overlap with the webhooks (other delivery ids, the same payment)
/// yields nothing twice because the ledger keys a payment by invoice and payment, a credit by its
/// entity and id.
///
/// Each page asks for the records updated at or after the last one read, skipping those at that
/// very time already read: a record updated during the run moves to the end of the order without
/// shifting the pages still to read. That position is saved after every page, so a stopped run
/// resumes where it stopped.
public struct QuickBooksBackfill: VendorBackfill {
    /// What a backfilled delivery is stored with: fetched from the Accounting API with the
    /// operator's connected app, not signed by Intuit.
    public static let verification = Verification(scheme: "backfill:quickbooks-api", matchedSecretIndex: 0)
    /// The entities read, in order: the ones the QuickBooks webhooks are set up for.
    public static let entities = ["Payment", "Invoice", "CreditMemo", "RefundReceipt"]

    public let vendor = "quickbooks"
    public var lists: [String] { Self.entities }

    private let client: QuickBooksClient
    private let retry: RetryPolicy
    private let pageSize: Int
    private let pager: BackfillPager

    /// - Parameters:
    ///   - client: the QuickBooks client the processor fetches with (`GATEWAY_QUICKBOOKS_*`); one
    ///     client per process keeps one access token.
    ///   - retry: how each page is retried; 429s are waited out for their `Retry-After`.
    ///   - pageSize: records per page, 1 to 1000 (QuickBooks' maximum).
    public init(
        client: QuickBooksClient, store: any Repositories, retry: RetryPolicy = RetryPolicy(attempts: 6, rateLimitWaits: 10), pageSize: Int = 1_000,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.client = client
        self.retry = retry
        self.pageSize = min(max(pageSize, 1), 1_000)
        self.pager = BackfillPager(vendor: vendor, verification: Self.verification, store: store, now: now)
    }

    /// A position: the `MetaData.LastUpdatedTime` of the last record read (as QuickBooks wrote
    /// it) and how many records at that time were read.
    private struct Position {
        var time: String
        var skip: Int

        init(time: String, skip: Int) {
            self.time = time
            self.skip = skip
        }

        init?(_ text: String) {
            guard let comma = text.lastIndex(of: ","), let skip = Int(text[text.index(after: comma)...]) else { return nil }
            self.init(time: String(text[..<comma]), skip: skip)
        }

        var text: String { "\(time),\(skip)" }
    }

    public func run(since: Date, progress: @escaping @Sendable (BackfillProgress) -> Void = { _ in }) async throws(FetchFailure) -> BackfillSummary {
        let realm = client.realmID
        let started = pager.now()
        // A customer is fetched once a run, however many records name it.
        var customers: [String: JSONValue] = [:]
        // `2024-12-01T00:00:00+00:00`: the offset written out, as QuickBooks writes its own times.
        let start = Position(time: String(BackfillPager.timestamp(since).dropLast()) + "+00:00", skip: 0)
        return try await pager.run(lists, since: since, progress: progress) { entity, after throws(FetchFailure) in
            let position = after.flatMap(Position.init) ?? start
            let statement =
                "SELECT * FROM \(entity) WHERE MetaData.LastUpdatedTime >= '\(position.time)' ORDERBY MetaData.LastUpdatedTime "
                + "STARTPOSITION \(position.skip + 1) MAXRESULTS \(pageSize)"
            let answer = try await client.query(statement, what: "the \(entity) query", retry: retry)
            guard case .object(let response)? = answer.value(at: FieldPath("QueryResponse")) else {
                throw FetchFailure("QuickBooks answered the \(entity) query without a QueryResponse", transient: false)
            }
            // No matching records: QuickBooks leaves the entity out of the response.
            guard case .array(let records)? = response[entity] else {
                return BackfillPage(fetched: 0, deliveries: [], next: nil)
            }
            var deliveries: [BackfillDelivery] = []
            var next = position
            for record in records {
                guard let id = record.value(at: FieldPath("Id"))?.scalarText,
                    let updated = record.value(at: FieldPath("MetaData.LastUpdatedTime"))?.scalarText
                else {
                    throw FetchFailure("QuickBooks listed a \(entity) without Id or MetaData.LastUpdatedTime", transient: false)
                }
                var customer: JSONValue?
                // Invoices are stored for the record; the connector maps none of their updates, so
                // their customers are not fetched.
                if entity != "Invoice", let customerID = record.value(at: FieldPath("CustomerRef.value"))?.scalarText {
                    if let known = customers[customerID] {
                        customer = known
                    } else {
                        let fetched = try await client.fetch(
                            EnrichmentRequest(connector: "quickbooks", account: realm, entity: "Customer", id: customerID, operation: "Read", occurredAt: nil),
                            retry: retry)
                        customers[customerID] = fetched
                        customer = fetched
                    }
                }
                deliveries.append(delivery(record, entity: entity, id: id, updated: updated, customer: customer, realm: realm))
                next = BackfillPager.date(updated) == BackfillPager.date(next.time) ? Position(time: next.time, skip: next.skip + 1) : Position(time: updated, skip: 1)
            }
            // A short page is the last.
            guard records.count == pageSize else { return BackfillPage(fetched: records.count, deliveries: deliveries, next: nil) }
            let reached = BackfillPager.date(next.time).map { ($0.timeIntervalSince(since)) / max(started.timeIntervalSince(since), 1) }
            return BackfillPage(fetched: records.count, deliveries: deliveries, next: next.text, fractionDone: reached)
        }
    }

    /// The notification QuickBooks sends for the record (legacy format: the realm, the entity's
    /// name, id, operation and time), with the record and its customer as the API returned them.
    private func delivery(_ record: JSONValue, entity: String, id: String, updated: String, customer: JSONValue?, realm: String) -> BackfillDelivery {
        // Created and never changed, or changed since: what a notification of it would have said.
        let operation = record.value(at: FieldPath("MetaData.CreateTime"))?.scalarText == updated ? "Create" : "Update"
        let notification = JSONValue.object([
            "realmId": .string(realm),
            "dataChangeEvent": .object([
                "entities": .array([
                    .object(["name": .string(entity), "id": .string(id), "operation": .string(operation), "lastUpdated": .string(updated)])
                ])
            ]),
        ])
        let body = JSONValue.object([
            "eventNotifications": .array([notification]),
            "fetched": .array([.object(["entity": .object([entity: record]), "customer": customer ?? .null])]),
        ])
        return BackfillDelivery(source: "quickbooks", deliveryID: "backfill:\(entity):\(id)", eventType: "\(entity).\(operation)", body: body)
    }
}
