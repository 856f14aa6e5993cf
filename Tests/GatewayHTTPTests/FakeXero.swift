import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// A loopback stand-in for Xero's Accounting API and its identity server's token endpoint. It
/// serves the records in `fixtures/xero/api/` only to a valid bearer token for a connected
/// organisation (`xero-tenant-id`), rotates refresh tokens as Xero does, and can be told to
/// rate-limit (429 with `Retry-After`, as Xero answers) or fail.
final class FakeXero: Sendable {
    struct State {
        var tokens = FakeOAuthTokens()
        /// What the API was asked for: `Invoices/<id> @ <tenant>`.
        var requests: [String] = []
        /// Answer this many requests with 429 before serving.
        var rateLimitedRequests = 0
        /// Answer every request with this status instead (a lasting outage).
        var outage: Int? = nil
    }

    let state = Mutex(State())
    static let clientID = "fake-xero-client"
    static let clientSecret = "fake-xero-client-secret"
    static let tenant = "3b5c8d2e-7f1a-4c6b-9e0d-2a4f6b8c1e3d"

    var application: some ApplicationProtocol {
        let router = Router()
        router.post("/connect/token") { request, _ -> Response in
            // Xero's access tokens last 30 minutes.
            try await FakeOAuthTokens.answer(request, clientID: Self.clientID, clientSecret: Self.clientSecret, expiresIn: 1800) { refresh in
                self.state.withLock { refresh(&$0.tokens) }
            }
        }
        router.get("/api.xro/2.0/{collection}/{id}") { request, context -> Response in
            let collection = try context.parameters.require("collection")
            let id = try context.parameters.require("id")
            let tenant = request.headers[HTTPField.Name("xero-tenant-id")!] ?? "-"
            let refusal: Response? = self.state.withLock { state in
                state.requests.append("\(collection)/\(id) @ \(tenant)")
                guard let token = state.tokens.validAccessToken, request.headers[.authorization] == "Bearer \(token)" else {
                    return Response(status: .unauthorized)
                }
                // Xero answers 403 for an organisation the connection does not include.
                guard tenant == Self.tenant else { return Response(status: .forbidden) }
                if let outage = state.outage { return Response(status: HTTPResponse.Status(code: outage)) }
                if state.rateLimitedRequests > 0 {
                    state.rateLimitedRequests -= 1
                    return Response(status: .tooManyRequests, headers: [.retryAfter: "1"])
                }
                return nil
            }
            if let refusal { return refusal }
            let file = TestGateway.root.appendingPathComponent("fixtures/xero/api/\(collection).\(id).json")
            guard let body = try? Data(contentsOf: file) else { return Response(status: .notFound) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }
}
