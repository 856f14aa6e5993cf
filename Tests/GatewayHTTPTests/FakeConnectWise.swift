import Foundation
import GatewayAdapters
import HTTPTypes
import Hummingbird
import Synchronization

/// A loopback stand-in for the ConnectWise PSA REST API: `GET /finance/agreements` and
/// `GET /company/companies` with `conditions=lastUpdated>=[…]` (read from each record's
/// `_info.lastUpdated`), `orderBy=id asc`, `page` and `pageSize` (at most 1000), answered as a
/// JSON array; the API member's Basic credentials and `clientId` are checked, and it can be told
/// to fail with ConnectWise's `{"code", "message"}` error shape.
final class FakeConnectWise: Sendable {
    /// How the fake answers one request instead of serving it.
    enum Failure: Sendable {
        /// 429 with `Retry-After: seconds`.
        case rateLimited(retryAfter: Int)
        /// 503.
        case unavailable
    }

    struct State {
        var agreements: [JSONValue] = []
        var companies: [JSONValue] = []
        /// Each request's path and query (decoded), in order.
        var requests: [String] = []
        /// The answers to the next requests, one each, before serving again.
        var failures: [Failure] = []
        /// After serving this many pages, answer every further request with 401.
        var unauthorizedAfterPages: Int?
    }

    let state = Mutex(State())
    static let root = "/v4_6_release/apis/3.0"
    static let companyID = "acmemsp"
    static let publicKey = "pubKeyFake0001"
    static let privateKey = "privKeyFake0001"
    static let clientID = "4b3c2d1e-0f9a-4b8c-9d7e-6f5a4b3c2d1e"

    var application: some ApplicationProtocol {
        let router = Router()
        router.get("\(Self.root)/finance/agreements") { request, _ in self.list(request, \.agreements) }
        router.get("\(Self.root)/company/companies") { request, _ in self.list(request, \.companies) }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    private func list(_ request: Request, _ records: KeyPath<State, [JSONValue]>) -> Response {
        let query = request.uri.queryParameters
        let basic = "Basic " + Data("\(Self.companyID)+\(Self.publicKey):\(Self.privateKey)".utf8).base64EncodedString()
        let (failure, all, refused) = state.withLock { state -> (Failure?, [JSONValue], Bool) in
            state.requests.append("\(request.uri.path)?conditions=\(query.get("conditions") ?? "")&orderBy=\(query.get("orderBy") ?? "")&page=\(query.get("page") ?? "")&pageSize=\(query.get("pageSize") ?? "")")
            if let limit = state.unauthorizedAfterPages {
                guard limit > 0 else { return (nil, [], true) }
                state.unauthorizedAfterPages = limit - 1
            }
            if !state.failures.isEmpty { return (state.failures.removeFirst(), [], false) }
            return (nil, state[keyPath: records], false)
        }
        guard !refused, request.headers[.authorization] == basic, request.headers[HTTPField.Name("clientId")!] == Self.clientID else {
            return Self.json(#"{"code":"Unauthorized","message":"Invalid API key or member credentials"}"#, status: .unauthorized)
        }
        switch failure {
        case .rateLimited(let seconds):
            var response = Self.json(#"{"code":"TooManyRequests","message":"Too many requests"}"#, status: .tooManyRequests)
            response.headers[.retryAfter] = String(seconds)
            return response
        case .unavailable: return Self.json(#"{"code":"ServiceUnavailable","message":"The service is unavailable"}"#, status: .serviceUnavailable)
        case nil: break
        }
        let conditions = query.get("conditions") ?? ""
        guard let match = conditions.wholeMatch(of: /lastUpdated>=\[([^\]]+)\]/), let since = Self.date(String(match.1)),
            query.get("orderBy") == "id asc", let page = query.get("page", as: Int.self), page >= 1, let size = query.get("pageSize", as: Int.self),
            (1...1000).contains(size)
        else {
            return Self.json(#"{"code":"InvalidObject","message":"The query is not valid"}"#, status: .badRequest)
        }
        func id(_ record: JSONValue) -> Int64 { record.value(at: FieldPath("id"))?.scalarText.flatMap { Int64($0) } ?? 0 }
        let matching = all.filter { (Self.date($0.value(at: FieldPath("_info.lastUpdated"))?.scalarText ?? "") ?? .distantPast) >= since }
            .sorted { id($0) < id($1) }
        return Self.json(Self.text(.array(Array(matching.dropFirst((page - 1) * size).prefix(size)))))
    }

    static func date(_ text: String) -> Date? { try? Date(text, strategy: .iso8601) }

    static func text(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
