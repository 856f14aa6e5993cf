import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// A loopback stand-in for the Stripe API's invoice payments list. It serves the answers in
/// `fixtures/stripe/api/` (`invoice_payment.<PaymentIntent>.json`), checks the API key and the
/// query a real client must send, and can be told to fail.
final class FakeStripe: Sendable {
    struct State {
        /// Each request's PaymentIntent, in order.
        var requests: [String] = []
        /// Answer this many requests with 503 before serving.
        var failuresBeforeSuccess = 0
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
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
