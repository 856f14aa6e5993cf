import GatewayAdapters
import HTTPTypes
import Hummingbird

/// Guards `/admin`: a bearer token compared in constant time against every configured token.
/// With no token configured the admin API is off (403), never open.
struct AdminAuthMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let tokens: [Secret]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !tokens.isEmpty else {
            throw APIError(.forbidden, "admin_api_disabled", "the admin API is off: set GATEWAY_ADMIN_TOKEN on the gateway")
        }
        guard let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer ") else {
            throw APIError(
                .unauthorized, "missing_token", "send Authorization: Bearer <admin token>", headers: [.wwwAuthenticate: "Bearer"])
        }
        guard ConstantTime.matchesAny(String(authorization.dropFirst("Bearer ".count)), tokens) else {
            throw APIError(.unauthorized, "invalid_token", "the bearer token is not an admin token", headers: [.wwwAuthenticate: "Bearer"])
        }
        return try await next(request, context)
    }
}
