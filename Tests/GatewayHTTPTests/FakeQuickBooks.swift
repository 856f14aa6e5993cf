import Foundation
import GatewayAdapters
import GatewayEngine
import GatewayRepositories
import HTTPTypes
import Hummingbird
import Synchronization

/// A loopback stand-in for the QuickBooks Accounting API and Intuit's OAuth token endpoint. It
/// serves the entity responses in `fixtures/quickbooks/api/` (or the customers it is given),
/// answers `query` statements of the form a backfill sends
/// (`SELECT * FROM <Entity> WHERE MetaData.LastUpdatedTime >= '…' ORDERBY MetaData.LastUpdatedTime
/// STARTPOSITION n MAXRESULTS m`) in QuickBooks' `QueryResponse` shape, checks bearer tokens,
/// rotates refresh tokens the way Intuit does, and can be told to fail.
final class FakeQuickBooks: Sendable {
    /// How the fake answers one query instead of serving it.
    enum QueryFailure: Sendable {
        /// 429 with `Retry-After: seconds`.
        case rateLimited(retryAfter: Int)
        /// 503.
        case unavailable
    }

    struct State {
        var tokens = FakeOAuthTokens()
        var validAccessToken: String? {
            get { tokens.validAccessToken }
            set { tokens.validAccessToken = newValue }
        }
        var refreshes: Int { tokens.refreshes }
        var entityRequests: [String] = []
        /// Answer this many entity requests with 503 before serving.
        var failuresBeforeSuccess = 0
        /// Answer every entity request with this status instead (a lasting outage).
        var outage: Int? = nil
        /// Hold entity requests until this is false again (at most 10 s).
        var holding = false
        /// The company's records by entity (`Payment`), as the API's objects (any order).
        var records: [String: [JSONValue]] = [:]
        /// Customers by id, as `GET customer/{id}` answers them (`{"Customer": {…}, "time": …}`);
        /// others come from the fixtures.
        var customers: [String: JSONValue] = [:]
        /// Each query statement, in order.
        var queries: [String] = []
        /// The answers to the next queries, one each, before serving again.
        var queryFailures: [QueryFailure] = []
        /// After serving this many queries, answer every further one with 401 whatever the token
        /// (the app was disconnected): a refresh still succeeds, the API still refuses.
        var unauthorizedAfterQueries: Int?
    }

    let state = Mutex(State())
    static let clientID = "fake-client"
    static let clientSecret = "fake-client-secret"

    var application: some ApplicationProtocol {
        let router = Router()
        router.post("/oauth2/v1/tokens/bearer") { request, _ -> Response in
            try await FakeOAuthTokens.answer(request, clientID: Self.clientID, clientSecret: Self.clientSecret, expiresIn: 3600) { refresh in
                self.state.withLock { refresh(&$0.tokens) }
            }
        }
        router.get("/v3/company/{realm}/query") { request, _ -> Response in self.query(request) }
        router.get("/v3/company/{realm}/{entity}/{id}") { request, context -> Response in
            let entity = try context.parameters.require("entity")
            let id = try context.parameters.require("id")
            for _ in 0..<1000 where self.state.withLock({ $0.holding }) {
                try await Task.sleep(for: .milliseconds(10))
            }
            let (status, given): (HTTPResponse.Status?, JSONValue?) = self.state.withLock { state in
                state.entityRequests.append("\(entity)/\(id)")
                guard let token = state.validAccessToken, request.headers[.authorization] == "Bearer \(token)" else { return (.unauthorized, nil) }
                if let outage = state.outage { return (HTTPResponse.Status(code: outage), nil) }
                if state.failuresBeforeSuccess > 0 {
                    state.failuresBeforeSuccess -= 1
                    return (.serviceUnavailable, nil)
                }
                return (nil, entity == "customer" ? state.customers[id] : nil)
            }
            if let status { return Response(status: status) }
            if let given { return Self.json(Self.text(given)) }
            let file = TestGateway.root.appendingPathComponent("fixtures/quickbooks/api/\(entity).\(id).json")
            guard let body = try? Data(contentsOf: file) else { return Response(status: .notFound) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// One page of a query: records updated at or after the time, in time order (ties by id),
    /// from the start position (1-based), at most `MAXRESULTS` (1000 at most).
    private func query(_ request: Request) -> Response {
        let statement = request.uri.queryParameters.get("query") ?? ""
        let (failure, records, authorized) = state.withLock { state -> (QueryFailure?, [String: [JSONValue]], Bool) in
            state.queries.append(statement)
            guard let token = state.validAccessToken, request.headers[.authorization] == "Bearer \(token)" else { return (nil, [:], false) }
            if let limit = state.unauthorizedAfterQueries {
                guard limit > 0 else { return (nil, [:], false) }
                state.unauthorizedAfterQueries = limit - 1
            }
            if !state.queryFailures.isEmpty { return (state.queryFailures.removeFirst(), [:], true) }
            return (nil, state.records, true)
        }
        guard authorized else {
            return Self.json(
                #"{"Fault":{"Error":[{"Message":"message=AuthenticationFailed; errorCode=003200; statusCode=401","Detail":"Token revoked","code":"3200"}],"type":"AUTHENTICATION"},"time":"2026-12-05T00:00:00.000-08:00"}"#,
                status: .unauthorized)
        }
        switch failure {
        case .rateLimited(let seconds):
            return Response(
                status: .tooManyRequests, headers: [.contentType: "application/json", .retryAfter: String(seconds)],
                body: .init(byteBuffer: ByteBuffer(string: #"{"Fault":{"Error":[{"Message":"ThrottleExceeded","code":"003001"}],"type":"SERVICE"}}"#)))
        case .unavailable: return Self.json(#"{"Fault":{"Error":[{"Message":"Service unavailable"}],"type":"SERVICE"}}"#, status: .serviceUnavailable)
        case nil: break
        }
        let pattern = /^SELECT \* FROM (\w+) WHERE MetaData\.LastUpdatedTime >= '([^']+)' ORDERBY MetaData\.LastUpdatedTime STARTPOSITION (\d+) MAXRESULTS (\d+)$/
        guard let match = statement.wholeMatch(of: pattern), let since = Self.date(String(match.2)), let start = Int(match.3), let max = Int(match.4),
            start >= 1, (1...1000).contains(max)
        else {
            return Self.json(#"{"Fault":{"Error":[{"Message":"Error parsing query","code":"4000"}],"type":"ValidationFault"}}"#, status: .badRequest)
        }
        let entity = String(match.1)
        func updated(_ record: JSONValue) -> Date { Self.date(record.value(at: FieldPath("MetaData.LastUpdatedTime"))?.scalarText ?? "") ?? .distantPast }
        func id(_ record: JSONValue) -> Int { Int(record.value(at: FieldPath("Id"))?.scalarText ?? "") ?? 0 }
        let matching = (records[entity] ?? []).filter { updated($0) >= since }.sorted { (updated($0), id($0)) < (updated($1), id($1)) }
        let page = Array(matching.dropFirst(start - 1).prefix(max))
        let time = JSONValue.string("2026-12-05T00:00:00.000-08:00")
        guard !page.isEmpty else { return Self.json(Self.text(.object(["QueryResponse": .object([:]), "time": time]))) }
        return Self.json(
            Self.text(
                .object([
                    "QueryResponse": .object([entity: .array(page), "startPosition": .integer(Int64(start)), "maxResults": .integer(Int64(page.count))]),
                    "time": time,
                ])))
    }

    static func date(_ text: String) -> Date? {
        (try? Date(text, strategy: .iso8601)) ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }

    static func text(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
