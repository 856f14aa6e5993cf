import Foundation
import GatewayEngine
import GatewayRepositories
import Hummingbird
import Synchronization

/// A loopback stand-in for the QuickBooks Accounting API and Intuit's OAuth token endpoint. It
/// serves the entity responses in `fixtures/quickbooks/api/`, checks bearer tokens, rotates refresh
/// tokens the way Intuit does, and can be told to fail.
final class FakeQuickBooks: Sendable {
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
        router.get("/v3/company/{realm}/{entity}/{id}") { request, context -> Response in
            let entity = try context.parameters.require("entity")
            let id = try context.parameters.require("id")
            for _ in 0..<1000 where self.state.withLock({ $0.holding }) {
                try await Task.sleep(for: .milliseconds(10))
            }
            let status: HTTPResponse.Status? = self.state.withLock { state in
                state.entityRequests.append("\(entity)/\(id)")
                guard let token = state.validAccessToken, request.headers[.authorization] == "Bearer \(token)" else { return .unauthorized }
                if let outage = state.outage { return HTTPResponse.Status(code: outage) }
                if state.failuresBeforeSuccess > 0 {
                    state.failuresBeforeSuccess -= 1
                    return .serviceUnavailable
                }
                return nil
            }
            if let status { return Response(status: status) }
            let file = TestGateway.root.appendingPathComponent("fixtures/quickbooks/api/\(entity).\(id).json")
            guard let body = try? Data(contentsOf: file) else { return Response(status: .notFound) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }
}
