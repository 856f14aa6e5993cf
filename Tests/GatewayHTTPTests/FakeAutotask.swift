import Foundation
import GatewayAdapters
import HTTPTypes
import Hummingbird
import Synchronization

/// A loopback stand-in for Autotask's REST API: `POST /v1.0/<Entity>/query` for Contracts and
/// Companies with a search filter (`gt`, `gte`, `eq` on record fields, dates compared as dates)
/// and `maxRecords`, answered in id order a page at a time with `pageDetails.nextPageUrl`
/// (a `GET …/query/next`), header authentication, and Autotask's `{"errors": […]}` shape when
/// told to fail.
final class FakeAutotask: Sendable {
    /// How the fake answers one request instead of serving it.
    enum Failure: Sendable {
        /// 429 with `Retry-After: seconds`.
        case rateLimited(retryAfter: Int)
        /// 503 with Autotask's error body.
        case unavailable
        /// 401, as for a locked API user.
        case unauthorized
    }

    struct State {
        /// Answer every request with this status.
        var failWith: Int? = nil
        /// Each request, `query` or `next`, in order.
        var requests: [String] = []
        /// Each query's entity and search, in order.
        var searches: [(entity: String, search: JSONValue)] = []
        /// Contracts as they stand after a change, answered to a `lastModifiedDateTime gt` query
        /// (the contract poller's changes pass).
        var changed: [JSONValue] = []
        var contracts: [JSONValue] = FakeAutotask.contracts
        var companies: [JSONValue] = []
        /// Records a page holds at most, whatever `maxRecords` asks (Autotask's limit is 500).
        var pageLimit = 2
        /// The answers to the next requests, one each, before serving again.
        var failures: [Failure] = []
        /// After serving this many pages, answer every further request with 401.
        var unauthorizedAfterPages: Int?
    }

    let state = Mutex(State())
    static let contracts: [JSONValue] = {
        guard case .array(let all) = try! JSONValue.parse(
            Data(contentsOf: TestGateway.root.appendingPathComponent("fixtures/autotask-contracts/api/contracts.json")))
        else { fatalError("contracts.json is an array") }
        return all
    }()

    static func json(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    /// Whether `record` passes every condition of `filter`.
    static func matches(_ record: JSONValue, _ filter: [JSONValue]) -> Bool {
        filter.allSatisfy { condition in
            guard let op = condition.value(at: FieldPath("op"))?.scalarText, let field = condition.value(at: FieldPath("field"))?.scalarText,
                let wanted = condition.value(at: FieldPath("value"))?.scalarText, let actual = record.value(at: FieldPath(field))?.scalarText
            else { return false }
            let order: ComparisonResult
            if let left = Double(actual), let right = Double(wanted) {
                order = left < right ? .orderedAscending : left > right ? .orderedDescending : .orderedSame
            } else if let left = date(actual), let right = date(wanted) {
                order = left < right ? .orderedAscending : left > right ? .orderedDescending : .orderedSame
            } else {
                order = actual.compare(wanted)
            }
            switch op {
            case "gt": return order == .orderedDescending
            case "gte": return order != .orderedAscending
            case "eq": return order == .orderedSame
            default: return false
            }
        }
    }

    /// Autotask's dates, with a zone or without one (read as UTC).
    static func date(_ text: String) -> Date? {
        guard text.count >= 10, text.first?.isNumber == true, text.contains("-") else { return nil }
        let zoned = text.hasSuffix("Z") ? text : text + "Z"
        return (try? Date(zoned, strategy: .iso8601)) ?? (try? Date(zoned, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }

    /// One page of what `search` selects in `entity`, from `offset`.
    func page(_ entity: String, search: JSONValue, offset: Int, port: Int) -> Response {
        guard case .array(let filter)? = search.value(at: FieldPath("filter")) else {
            return Self.error(400, "The filter is required")
        }
        // The poller's changes pass.
        if entity == "Contracts", filter.first?.value(at: FieldPath("field"))?.scalarText == "lastModifiedDateTime",
            filter.first?.value(at: FieldPath("op"))?.scalarText == "gt"
        {
            let since = filter.first?.value(at: FieldPath("value"))?.scalarText ?? ""
            let items = state.withLock { $0.changed }.filter { ($0.value(at: FieldPath("lastModifiedDateTime"))?.scalarText ?? "") > since }
            return Self.ok(#"{"items":\#(Self.json(.array(items))),"pageDetails":{"count":\#(items.count),"requestCount":500,"prevPageUrl":null,"nextPageUrl":null}}"#)
        }
        let (records, limit) = state.withLock { ($0[keyPath: entity == "Contracts" ? \State.contracts : \State.companies], $0.pageLimit) }
        let maxRecords = search.value(at: FieldPath("maxRecords"))?.scalarText.flatMap { Int($0) } ?? 500
        guard (1...500).contains(maxRecords) else { return Self.error(400, "maxRecords must be 1 to 500") }
        let matching = records.filter { Self.matches($0, filter) }
            .sorted { (Int64($0.value(at: FieldPath("id"))!.scalarText!) ?? 0) < (Int64($1.value(at: FieldPath("id"))!.scalarText!) ?? 0) }
        let size = min(maxRecords, limit)
        let slice = Array(matching.dropFirst(offset).prefix(size))
        var next = "null"
        if offset + size < matching.count {
            var components = URLComponents(string: "http://127.0.0.1:\(port)/atservicesrest/v1.0/\(entity)/query/next")!
            components.queryItems = [URLQueryItem(name: "offset", value: String(offset + size)), URLQueryItem(name: "search", value: Self.json(search))]
            next = "\"\(components.url!.absoluteString)\""
        }
        return Self.ok(
            #"{"items":\#(Self.json(.array(slice))),"pageDetails":{"count":\#(slice.count),"requestCount":\#(size),"prevPageUrl":null,"nextPageUrl":\#(next)}}"#)
    }

    func application(port: @escaping @Sendable () -> Int) -> some ApplicationProtocol {
        let router = Router()
        let check: @Sendable (Request, String) -> Response? = { request, label in
            let failure = self.state.withLock { state -> Failure? in
                state.requests.append(label)
                if !state.failures.isEmpty { return state.failures.removeFirst() }
                if let limit = state.unauthorizedAfterPages {
                    guard limit > 0 else { return .unauthorized }
                    state.unauthorizedAfterPages = limit - 1
                }
                return nil
            }
            guard request.headers[HTTPField.Name("ApiIntegrationCode")!] == "INTEGRATION", request.headers[HTTPField.Name("UserName")!] == "api@msp.example",
                request.headers[HTTPField.Name("Secret")!] == "api-secret"
            else { return Self.error(401, "Invalid credentials") }
            switch failure {
            case .rateLimited(let seconds):
                var response = Self.error(429, "Request rate threshold exceeded")
                response.headers[.retryAfter] = String(seconds)
                return response
            case .unavailable: return Self.error(503, "The database is being upgraded.")
            case .unauthorized: return Self.error(401, "Invalid credentials")
            case nil: break
            }
            if let status = self.state.withLock({ $0.failWith }) { return Self.error(status, "The database is being upgraded.") }
            return nil
        }
        router.post("/atservicesrest/v1.0/{entity}/query") { request, context -> Response in
            var request = request
            let entity = try context.parameters.require("entity")
            let search = try JSONValue.parse(Data(try await request.collectBody(upTo: 64 * 1024).readableBytesView))
            if let refused = check(request, "query") { return refused }
            self.state.withLock { $0.searches.append((entity, search)) }
            return self.page(entity, search: search, offset: 0, port: port())
        }
        router.get("/atservicesrest/v1.0/{entity}/query/next") { request, context -> Response in
            let entity = try context.parameters.require("entity")
            if let refused = check(request, "next") { return refused }
            let search = try JSONValue.parse(Data((request.uri.queryParameters.get("search") ?? "{}").utf8))
            return self.page(entity, search: search, offset: request.uri.queryParameters.get("offset", as: Int.self) ?? 0, port: port())
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    static func ok(_ body: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func error(_ status: Int, _ message: String) -> Response {
        Response(
            status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: #"{"errors":[{"message":"\#(message)"}]}"#)))
    }
}
