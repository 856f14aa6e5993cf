import Foundation
import Hummingbird

/// The OAuth 2 refresh grant as Intuit and Xero answer it, for the loopback fakes of their APIs:
/// the client's Basic credentials are checked, and each refresh spends the refresh token it was
/// given and issues a new access token and a new refresh token.
struct FakeOAuthTokens {
    var validAccessToken: String? = nil
    var refreshToken = "refresh-0"
    var refreshes = 0

    /// Answers a `POST` to the token endpoint; `update` runs the refresh under the fake's lock.
    static func answer(
        _ request: Request, clientID: String, clientSecret: String, expiresIn: Int,
        update: (_ refresh: (inout FakeOAuthTokens) -> String?) -> String?
    ) async throws -> Response {
        let expected = "Basic " + Data("\(clientID):\(clientSecret)".utf8).base64EncodedString()
        guard request.headers[.authorization] == expected else { return Response(status: .unauthorized) }
        var request = request
        let form = String(buffer: try await request.collectBody(upTo: 4096))
        let fields = Dictionary(uniqueKeysWithValues: URLComponents(string: "?\(form)")!.queryItems!.map { ($0.name, $0.value ?? "") })
        let answer = update { tokens in
            guard fields["grant_type"] == "refresh_token", fields["refresh_token"] == tokens.refreshToken else { return nil }
            tokens.refreshes += 1
            tokens.validAccessToken = "access-\(tokens.refreshes)"
            tokens.refreshToken = "refresh-\(tokens.refreshes)"
            return #"{"access_token":"access-\#(tokens.refreshes)","refresh_token":"refresh-\#(tokens.refreshes)","token_type":"bearer","expires_in":\#(expiresIn)}"#
        }
        guard let answer else {
            return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: #"{"error":"invalid_grant"}"#)))
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: answer)))
    }
}
