import Foundation
import GatewayAdapters
public import HTTPTypes
public import Hummingbird

/// Every refusal the gateway answers with: a status and a JSON body
/// `{"error": "<code>", "reason": "<sentence>"}`. The reason never holds a secret or a body.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var reason: String
    /// The input field at fault, when one is.
    public var field: String?
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ code: String, _ reason: String, field: String? = nil, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.reason = reason
        self.field = field
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        var fields = ["error": code, "reason": reason]
        fields["field"] = field
        let body = try JSONResponse.encoder.encode(fields)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension APIError {
    /// 401 for a signature that fails; 503 when the key could not be fetched, so the vendor retries.
    init(_ failure: SignatureFailure) {
        let status: HTTPResponse.Status = failure.code == .signingKeyUnavailable ? .serviceUnavailable : .unauthorized
        self.init(status, failure.code.rawValue, failure.detail)
    }
}
