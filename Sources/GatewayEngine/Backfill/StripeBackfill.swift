public import AsyncHTTPClient
public import Foundation
public import GatewayAdapters
public import GatewayCore
public import GatewayRepositories
import NIOCore
import NIOHTTP1

/// Brings a Stripe account's history into the inbox: every paid invoice and every credit note
/// created since a day, listed page by page from the Stripe API and stored as the `invoice.paid`
/// and `credit_note.created` events a webhook would have carried, so the processor maps them
/// through the same adapter as live deliveries.
///
/// Each object gets a delivery id stable per object and effect (`backfill:in_123:paid`), so a
/// second run stores nothing new; an overlap with live webhooks (other delivery ids, the same
/// invoice) accrues nothing twice because the ledger keys each effect by its invoice or credit
/// note. The cursor (the last object stored, per list) is saved after every page, so a run stopped
/// by a crash or Ctrl-C resumes where it stopped.
public struct StripeBackfill: Sendable {
    /// What a backfilled delivery is stored with: fetched from the Stripe API with the operator's
    /// key, not signed by Stripe.
    public static let verification = Verification(scheme: "backfill:stripe-api", matchedSecretIndex: 0)
    /// The inbox source backfilled records are stored under: Stripe's own, so one adapter maps both.
    public static let source = "stripe"

    /// One of the lists the backfill reads.
    public enum List: String, Sendable, CaseIterable, Encodable {
        case invoices
        case creditNotes = "credit_notes"

        /// The event type a webhook carries the object in.
        var eventType: String { self == .invoices ? "invoice.paid" : "credit_note.created" }
        /// The effect named in the delivery id: one object can have several (an invoice is paid,
        /// later voided), each its own delivery.
        var effect: String { self == .invoices ? "paid" : "created" }
        var cursorName: String { "backfill:stripe:\(rawValue)" }
        /// Only paid invoices carry money in; every credit note counts.
        var filter: [URLQueryItem] { self == .invoices ? [URLQueryItem(name: "status", value: "paid")] : [] }
    }

    /// Where a run stands, reported after every page.
    public struct Progress: Sendable, Hashable {
        public var list: List
        /// Objects read from this list so far in this run.
        public var fetched: Int
        /// Of those, the ones stored as new deliveries (the rest were already in the inbox).
        public var stored: Int
        /// Objects per second since this list started.
        public var ratePerSecond: Double
        /// How much of the period from `since` to now this list has covered (Stripe lists newest
        /// first), 0 to 1; what an estimate of the time left is made from.
        public var fractionDone: Double
    }

    /// What a run did, per list.
    public typealias Summary = BackfillSummary

    private let credentials: StripeClient.Credentials
    private let client: HTTPClient
    private let store: any Repositories
    private let retry: RetryPolicy
    private let maxRetryAfter: Duration
    private let pageSize: Int
    private let now: @Sendable () -> Date

    /// - Parameters:
    ///   - maxRetryAfter: the longest a 429's `Retry-After` is waited; a longer one waits this long.
    ///   - pageSize: objects per page, 1 to 100 (Stripe's maximum).
    public init(
        credentials: StripeClient.Credentials, client: HTTPClient, store: any Repositories, retry: RetryPolicy = RetryPolicy(attempts: 6),
        maxRetryAfter: Duration = .seconds(60), pageSize: Int = 100, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.credentials = credentials
        self.client = client
        self.store = store
        self.retry = retry
        self.maxRetryAfter = maxRetryAfter
        self.pageSize = min(max(pageSize, 1), 100)
        self.now = now
    }

    /// Reads every paid invoice, then every credit note, created on or after `since` into the inbox.
    ///
    /// - Parameter progress: called after each page is stored.
    /// - Throws: `FetchFailure` when Stripe refuses the key (401, 403), answers what is not a
    ///   list, or stays unavailable through every retry; what was stored stays, and the cursor
    ///   lets the next run continue.
    @discardableResult
    public func run(since: Date, progress: @Sendable (Progress) -> Void = { _ in }) async throws(FetchFailure) -> Summary {
        var summary = Summary()
        for list in List.allCases {
            let (fetched, stored) = try await read(list, since: since, progress: progress)
            summary.fetched[list.rawValue] = fetched
            summary.stored[list.rawValue] = stored
        }
        return summary
    }

    private func read(_ list: List, since: Date, progress: @Sendable (Progress) -> Void) async throws(FetchFailure) -> (Int, Int) {
        let sinceUnix = Int64(since.timeIntervalSince1970.rounded(.down))
        // A cursor saved for another start day says nothing about this run.
        var after: String?
        do {
            let saved = try await store.vendorState.pollerCursor(named: list.cursorName).flatMap { BackfillCursor($0) }
            if let saved, saved.since == sinceUnix { after = saved.after }
        } catch {
            throw FetchFailure("the backfill cursor could not be read: \(error)", transient: true)
        }
        let started = ContinuousClock.now
        let startedAt = now()
        var fetched = 0
        var stored = 0
        while true {
            var query = list.filter + [URLQueryItem(name: "created[gte]", value: String(sinceUnix)), URLQueryItem(name: "limit", value: String(pageSize))]
            if let after { query.append(URLQueryItem(name: "starting_after", value: after)) }
            let page = try await get(list, query: query)
            guard case .array(let objects)? = page.value(at: FieldPath("data")) else {
                throw FetchFailure("Stripe answered the \(list.rawValue) list without data", transient: false)
            }
            var oldest: Int64?
            for object in objects {
                let (id, created) = try await ingest(object, list: list)
                fetched += 1
                if created { stored += 1 }
                after = id
                oldest = object.value(at: FieldPath("created"))?.scalarText.flatMap { Int64($0) }
            }
            let hasMore = page.value(at: FieldPath("has_more")) == .bool(true) && !objects.isEmpty
            try await save(BackfillCursor(since: sinceUnix, after: hasMore ? after : nil), list: list)
            let elapsed = (ContinuousClock.now - started).components
            let seconds = max(Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18, 0.001)
            let span = max(startedAt.timeIntervalSince1970 - Double(sinceUnix), 1)
            let covered = oldest.map { (startedAt.timeIntervalSince1970 - Double($0)) / span } ?? 1
            progress(
                Progress(
                    list: list, fetched: fetched, stored: stored, ratePerSecond: Double(fetched) / seconds,
                    fractionDone: hasMore ? min(max(covered, 0), 1) : 1))
            guard hasMore else { return (fetched, stored) }
        }
    }

    private func save(_ cursor: BackfillCursor, list: List) async throws(FetchFailure) {
        do {
            try await store.vendorState.savePollerCursor(cursor.text, named: list.cursorName, at: now())
        } catch {
            throw FetchFailure("the backfill cursor could not be saved: \(error)", transient: true)
        }
    }

    /// Stores `object` as the event a webhook would carry it in.
    ///
    /// - Returns: its id, and whether it was stored now (not already in the inbox).
    private func ingest(_ object: JSONValue, list: List) async throws(FetchFailure) -> (id: String, stored: Bool) {
        guard let id = object.value(at: FieldPath("id"))?.scalarText, !id.isEmpty else {
            throw FetchFailure("Stripe listed one of the \(list.rawValue) without an id", transient: false)
        }
        // The webhook's event is created when the invoice is paid; a credit note's when it is issued.
        let created =
            (list == .invoices ? object.value(at: FieldPath("status_transitions.paid_at")) : nil) ?? object.value(at: FieldPath("created"))
            ?? .integer(Int64(now().timeIntervalSince1970))
        let deliveryID = "backfill:\(id):\(list.effect)"
        let envelope = JSONValue.object([
            "id": .string(deliveryID), "object": .string("event"), "type": .string(list.eventType), "created": created,
            "api_version": .string(credentials.apiVersion), "livemode": object.value(at: FieldPath("livemode")) ?? .bool(false),
            "data": .object(["object": object]),
        ])
        do {
            let outcome = try await store.inbox.ingest(
                IncomingDelivery(
                    source: Self.source, vendorDeliveryID: deliveryID, eventType: list.eventType, receivedAt: now(), requestID: nil,
                    body: try Self.encoder.encode(envelope), headers: [:], verification: Self.verification))
            if case .stored = outcome { return (id, true) }
            return (id, false)
        } catch {
            throw FetchFailure("\(id) could not be stored: \(error)", transient: true)
        }
    }

    /// How many 429s one page waits out before they count as failed attempts.
    static let rateLimitWaits = 10

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    /// One page, retried: after a 429 as long as its `Retry-After` says (capped), after a 5xx or a
    /// network error with backoff; a refusal (401, 403, another 4xx) stops the run with its reason.
    private func get(_ list: List, query: [URLQueryItem]) async throws(FetchFailure) -> JSONValue {
        var url = credentials.apiBase.appendingPathComponent("v1/\(list.rawValue)")
        url.append(queryItems: query)
        var attempt = 1
        // A 429 is Stripe pacing the client, not a failure: waited out apart from the attempts,
        // up to a limit so a key rate-limited for good still ends.
        var rateLimits = 0
        while true {
            let failure: FetchFailure
            var wait: Duration?
            do {
                var request = HTTPClientRequest(url: url.absoluteString)
                request.headers.add(name: "Authorization", value: "Bearer \(credentials.apiKey.value)")
                request.headers.add(name: "Stripe-Version", value: credentials.apiVersion)
                let response = try await client.execute(request, timeout: .seconds(30))
                let body = Data(try await response.body.collect(upTo: 16 << 20).readableBytesView)
                let document = try? JSONValue.parse(body)
                switch response.status.code {
                case 200:
                    guard let document else { throw FetchFailure("Stripe answered the \(list.rawValue) list with a body that is not JSON", transient: false) }
                    return document
                case 429:
                    let seconds = response.headers.first(name: "Retry-After").flatMap { Double($0) } ?? 1
                    wait = min(.milliseconds(Int64(max(seconds, 0) * 1000)), maxRetryAfter)
                    failure = FetchFailure("Stripe rate-limited the \(list.rawValue) list (HTTP 429)", transient: true)
                case 408, 500...599:
                    failure = FetchFailure("Stripe could not serve the \(list.rawValue) list: HTTP \(response.status.code)", transient: true)
                case 401:
                    // Stripe's message repeats part of the key, so it is not passed on.
                    throw FetchFailure("Stripe refused the API key (HTTP 401): check GATEWAY_STRIPE_API_KEY", transient: false)
                case 403:
                    throw FetchFailure(
                        "Stripe refused to list \(list.rawValue) (HTTP 403): the key needs read access to invoices and credit notes", transient: false)
                default:
                    let message = document?.value(at: FieldPath("error.message"))?.scalarText.map { ": \($0.prefix(200))" } ?? ""
                    throw FetchFailure("Stripe refused the \(list.rawValue) list (HTTP \(response.status.code))\(message)", transient: false)
                }
            } catch let refusal as FetchFailure {
                throw refusal
            } catch {
                failure = FetchFailure("Stripe could not be reached (\(type(of: error)))", transient: true)
            }
            if let wait, rateLimits < Self.rateLimitWaits {
                rateLimits += 1
                try? await Task.sleep(for: wait)
                continue
            }
            guard attempt < retry.attempts else { throw FetchFailure("\(failure.reason) (gave up after \(attempt) attempts)", transient: true) }
            try? await Task.sleep(for: retry.delay(beforeRetry: attempt))
            attempt += 1
        }
    }
}
