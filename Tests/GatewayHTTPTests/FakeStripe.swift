import Foundation
import GatewayAdapters
import HTTPTypes
import Hummingbird
import Synchronization

/// A loopback stand-in for the Stripe API: the invoice payments list, which serves the answers in
/// `fixtures/stripe/api/` (`invoice_payment.<PaymentIntent>.json`), and the invoices and credit
/// notes lists a backfill pages through, in Stripe's list shape. It checks the API key and the
/// query a real client must send, and can be told to fail.
final class FakeStripe: Sendable {
    /// How the fake answers one list request instead of serving it.
    enum ListFailure: Sendable {
        /// 429 with `Retry-After: seconds`.
        case rateLimited(retryAfter: Int)
        /// 503 with Stripe's error body.
        case unavailable
        /// 401, as for a revoked key.
        case unauthorized
    }

    struct State {
        /// Each request's PaymentIntent, in order.
        var requests: [String] = []
        /// Answer this many requests with 503 before serving.
        var failuresBeforeSuccess = 0
        /// The account's invoices and credit notes, as Stripe's API objects (any order).
        var invoices: [JSONValue] = []
        var creditNotes: [JSONValue] = []
        /// Each list request's path and query, in order.
        var listRequests: [String] = []
        /// The answers to the next list requests, one each, before serving again.
        var listFailures: [ListFailure] = []
        /// After serving this many list pages, answer every further one with 401 (a key revoked
        /// mid-run, or a crash: the run stops there).
        var unauthorizedAfterPages: Int?
    }

    let state = Mutex(State())
    static let apiKey = "rk_test_fake_read_invoices"

    var application: some ApplicationProtocol {
        let router = Router()
        router.get("/v1/invoice_payments") { request, _ -> Response in
            // Decoded as a server decodes them, whether the client escaped the brackets or not.
            let items = URLComponents(string: "?\(request.uri.query ?? "")")?.queryItems ?? []
            let query = Dictionary(items.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
            guard request.headers[.authorization] == "Bearer \(Self.apiKey)" else {
                return Self.json(#"{"error":{"type":"invalid_request_error","message":"Invalid API Key provided"}}"#, status: .unauthorized)
            }
            guard query["payment[type]"] == "payment_intent", let intent = query["payment[payment_intent]"],
                query["expand[]"] == "data.invoice", query["status"] == "paid", request.headers[HTTPField.Name("Stripe-Version")!] == "2025-03-31.basil"
            else { return Self.json(#"{"error":{"type":"invalid_request_error","message":"bad query"}}"#, status: .badRequest) }
            let failing = self.state.withLock { state in
                state.requests.append(intent)
                guard state.failuresBeforeSuccess > 0 else { return false }
                state.failuresBeforeSuccess -= 1
                return true
            }
            if failing { return Response(status: .serviceUnavailable) }
            let file = TestGateway.root.appendingPathComponent("fixtures/stripe/api/invoice_payment.\(intent).json")
            let body = (try? String(contentsOf: file, encoding: .utf8)) ?? #"{"object":"list","url":"/v1/invoice_payments","has_more":false,"data":[]}"#
            return Self.json(body)
        }
        router.get("/v1/invoices") { request, _ in self.list(request, path: "/v1/invoices", objects: \.invoices) }
        router.get("/v1/credit_notes") { request, _ in self.list(request, path: "/v1/credit_notes", objects: \.creditNotes) }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// One page of a list as Stripe serves it: newest first, `created[gte]` and (for invoices)
    /// `status` filtering, `limit` (at most 100), `starting_after` an object id of the last page.
    private func list(_ request: Request, path: String, objects: KeyPath<State, [JSONValue]>) -> Response {
        let items = URLComponents(string: "?\(request.uri.query ?? "")")?.queryItems ?? []
        let query = Dictionary(items.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
        state.withLock { $0.listRequests.append("\(path)?\(request.uri.query ?? "")") }
        guard request.headers[.authorization] == "Bearer \(Self.apiKey)" else { return Self.unauthorized }
        let (failure, all) = state.withLock { state -> (ListFailure?, [JSONValue]) in
            if let limit = state.unauthorizedAfterPages {
                guard limit > 0 else { return (.unauthorized, []) }
                state.unauthorizedAfterPages = limit - 1
            }
            if !state.listFailures.isEmpty { return (state.listFailures.removeFirst(), []) }
            return (nil, state[keyPath: objects])
        }
        switch failure {
        case .rateLimited(let seconds):
            return Response(
                status: .tooManyRequests, headers: [.contentType: "application/json", .retryAfter: String(seconds)],
                body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"type":"rate_limit_error","message":"Too many requests"}}"#)))
        case .unavailable:
            return Self.json(#"{"error":{"type":"api_error","message":"Service unavailable"}}"#, status: .serviceUnavailable)
        case .unauthorized: return Self.unauthorized
        case nil: break
        }
        guard let since = query["created[gte]"].flatMap({ Int64($0) }), let limit = Int(query["limit"] ?? "10"), (1...100).contains(limit),
            request.headers[HTTPField.Name("Stripe-Version")!] == "2025-03-31.basil"
        else { return Self.json(#"{"error":{"type":"invalid_request_error","message":"bad query"}}"#, status: .badRequest) }
        func int(_ object: JSONValue, _ path: String) -> Int64 { object.value(at: FieldPath(path))?.scalarText.flatMap { Int64($0) } ?? 0 }
        var matching = all.filter { int($0, "created") >= since }
            .filter { query["status"] == nil || $0.value(at: FieldPath("status"))?.scalarText == query["status"] }
            .sorted { (int($0, "created"), $0.value(at: FieldPath("id"))?.scalarText ?? "") > (int($1, "created"), $1.value(at: FieldPath("id"))?.scalarText ?? "") }
        if let after = query["starting_after"] {
            guard let index = matching.firstIndex(where: { $0.value(at: FieldPath("id"))?.scalarText == after }) else {
                return Self.json(#"{"error":{"type":"invalid_request_error","message":"No such object"}}"#, status: .badRequest)
            }
            matching = Array(matching[(index + 1)...])
        }
        let page = JSONValue.object([
            "object": .string("list"), "url": .string(path), "has_more": .bool(matching.count > limit), "data": .array(Array(matching.prefix(limit))),
        ])
        return Self.json(String(decoding: try! JSONEncoder().encode(page), as: UTF8.self))
    }

    static var unauthorized: Response {
        json(#"{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: rk_test_****_bad"}}"#, status: .unauthorized)
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
