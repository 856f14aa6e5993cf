public import AsyncHTTPClient
public import Foundation
public import GatewayAdapters
public import GatewayCore
public import GatewayRepositories

/// Brings an Autotask tenant's history into the inbox through the REST API's `query`: contracts
/// (Autotask sends no contract webhooks) and customer companies selected by a date field since a
/// day, page by page (`pageDetails.nextPageUrl`), with the contract poller's API user.
///
/// A contract is stored as the record the contract poller stores (source `autotask-contracts`),
/// a company as the `Company.Create` webhook Autotask would have sent (source `autotask`), so
/// each maps through the adapter that maps the live ones. Delivery ids are stable per record
/// (`backfill:contract:5011`, `backfill:company:29683512`), so a second run stores nothing new;
/// an overlap with the poller or with webhooks (other delivery ids, the same contract or company)
/// yields nothing twice because the ledger keys each effect by the contract or company id.
///
/// The position saved after every page is the highest id stored: the next page is asked for as
/// the same query with `id gt` that id, so a stopped run resumes after its last stored page
/// (Autotask answering a query in id order, as the poller relies on too: UNCONFIRMED).
public struct AutotaskBackfill: VendorBackfill {
    /// What a backfilled delivery is stored with: fetched from the Autotask API with the
    /// operator's API user, not signed by Autotask.
    public static let verification = Verification(scheme: "backfill:autotask-api", matchedSecretIndex: 0)

    /// One of the lists the backfill reads.
    public enum List: String, Sendable, CaseIterable {
        case contracts, companies

        var entity: String { self == .contracts ? "Contracts" : "Companies" }
    }

    /// The date fields that select records since the start day. Autotask's field lists are not
    /// confirmed for every zone, so both are the operator's to change.
    public struct DateFields: Sendable, Hashable {
        /// Contracts that started on or after the day (`startDate`, the agreement's start the
        /// adapter reads); `lastModifiedDateTime` reads every contract changed since instead.
        public var contracts: String
        /// Customer companies created on or after the day (`createDate`); a company's
        /// `createDate` is also when it is taken to have signed, as a Create webhook says.
        public var companies: String

        public init(contracts: String = "startDate", companies: String = "createDate") {
            self.contracts = contracts
            self.companies = companies
        }
    }

    public let vendor = "autotask"
    public var lists: [String] { List.allCases.map(\.rawValue) }

    private let api: AutotaskAPI
    private let fields: DateFields
    private let retry: RetryPolicy
    private let pageSize: Int
    private let pager: BackfillPager

    /// - Parameters:
    ///   - credentials: the contract poller's API user (`GATEWAY_AUTOTASK_API_*`).
    ///   - retry: how each page is retried; 429s are waited out for their `Retry-After`.
    ///   - pageSize: records per page, 1 to 500 (Autotask's maximum).
    public init(
        credentials: AutotaskContractPoller.Credentials, client: HTTPClient, store: any Repositories, fields: DateFields = DateFields(),
        retry: RetryPolicy = RetryPolicy(attempts: 6, rateLimitWaits: 10), pageSize: Int = 500, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.api = AutotaskAPI(credentials: credentials, client: client)
        self.fields = fields
        self.retry = retry
        self.pageSize = min(max(pageSize, 1), 500)
        self.pager = BackfillPager(vendor: vendor, verification: Self.verification, store: store, now: now)
    }

    public func run(since: Date, progress: @escaping @Sendable (BackfillProgress) -> Void = { _ in }) async throws(FetchFailure) -> BackfillSummary {
        // The next page's URL, as Autotask gave it, for the position it follows: followed within a
        // run; a resumed run (which has none) queries again from the saved id.
        var pending: (list: String, after: String, url: URL)?
        return try await pager.run(lists, since: since, progress: progress) { name, after throws(FetchFailure) in
            let list = List(rawValue: name)!
            let response: JSONValue
            if let pending, pending.list == name, pending.after == after {
                response = try await api.page(pending.url, retry: retry)
            } else {
                response = try await api.query(list.entity, search: search(list, since: since, after: after), retry: retry)
            }
            var highest = after.flatMap { Int64($0) } ?? 0
            var deliveries: [BackfillDelivery] = []
            let items = try api.items(of: response, name)
            for item in items {
                guard let id = item.value(at: FieldPath("id"))?.scalarText.flatMap({ Int64($0) }) else {
                    throw FetchFailure("Autotask listed one of the \(name) without an id", transient: false)
                }
                highest = max(highest, id)
                deliveries.append(list == .contracts ? contract(item, id: id) : company(item, id: id))
            }
            guard let next = api.nextPage(of: response) else {
                pending = nil
                return BackfillPage(fetched: items.count, deliveries: deliveries, next: nil)
            }
            pending = (name, String(highest), next)
            return BackfillPage(fetched: items.count, deliveries: deliveries, next: String(highest))
        }
    }

    /// `{"filter": [{"op": "gte", "field": <date field>, "value": <since>}, …], "maxRecords": …}`,
    /// with `id gt` the position when resuming, and only companies of type Customer (1).
    private func search(_ list: List, since: Date, after: String?) -> JSONValue {
        func condition(_ op: String, _ field: String, _ value: JSONValue) -> JSONValue {
            .object(["op": .string(op), "field": .string(field), "value": value])
        }
        var filter = [condition("gte", list == .contracts ? fields.contracts : fields.companies, .string(BackfillPager.timestamp(since)))]
        if list == .companies { filter.append(condition("eq", "companyType", .integer(1))) }
        if let after = after.flatMap({ Int64($0) }) { filter.append(condition("gt", "id", .integer(after))) }
        return .object(["filter": .array(filter), "maxRecords": .integer(Int64(pageSize))])
    }

    /// The contract as the contract poller stores it.
    private func contract(_ item: JSONValue, id: Int64) -> BackfillDelivery {
        BackfillDelivery(source: AutotaskContractPoller.source, deliveryID: "backfill:contract:\(id)", eventType: "contract.created", body: item)
    }

    /// The company as a `Company.Create` webhook carries it: the fields the webhook is set up to
    /// send (company name and type, the type as Autotask's webhooks write picklists: a string),
    /// at its creation time; the whole record as the API returned it beside them under `Record`.
    private func company(_ item: JSONValue, id: Int64) -> BackfillDelivery {
        var fieldValues: [String: JSONValue] = [:]
        if let name = item.value(at: FieldPath("companyName")) { fieldValues["CompanyName"] = name }
        if let type = item.value(at: FieldPath("companyType"))?.scalarText { fieldValues["CompanyType"] = .string(type) }
        let created =
            ["createDate", fields.companies].lazy.compactMap { BackfillPager.date(item.value(at: FieldPath($0))?.scalarText) }.first ?? pager.now()
        let body = JSONValue.object([
            "Action": .string("Create"), "EntityType": .string("Company"), "Id": .integer(id), "EventTime": .string(BackfillPager.timestamp(created)),
            "Fields": .object(fieldValues), "Record": item,
        ])
        return BackfillDelivery(source: "autotask", deliveryID: "backfill:company:\(id)", eventType: "Company.Create", body: body)
    }
}
